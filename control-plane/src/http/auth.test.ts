import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp, uniqueQueue } from "../testing/test-app.js";

const KEYS = {
  admin: "admin-secret-0123456789",
  submit: "submit-secret-0123456789",
  read: "read-secret-0123456789",
};

let t: TestApp;
let jobId: string;
const queue = uniqueQueue("auth");
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"), {
    RQ_API_KEYS: `ops:${KEYS.admin}:admin,ci:${KEYS.submit}:submit,grafana:${KEYS.read}:read`,
  });
  const res = await t.request("/v1/jobs", { method: "POST", key: KEYS.admin, json: { type: "a", queue } });
  jobId = ((await res.json()) as { id: string }).id;
});
afterAll(() => t.close());

describe("authentication", () => {
  it("401 without a key or with a wrong one, with WWW-Authenticate", async () => {
    const variants: Record<string, string>[] = [
      {},
      { authorization: "Bearer nope" },
      { authorization: `Basic ${KEYS.admin}` },
    ];
    for (const headers of variants) {
      const res = await t.request("/v1/jobs?state=pending", { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain("Bearer");
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
    }
  });

  it("keeps probes, OpenAPI and docs public; /metrics is not", async () => {
    for (const path of ["/healthz", "/readyz", "/openapi.json", "/docs"]) {
      expect((await t.request(path)).status, path).toBe(200);
    }
    expect((await t.request("/metrics")).status).toBe(401);
    expect((await t.request("/metrics", { key: KEYS.read })).status).toBe(200);
  });
});

describe("authorization per role", () => {
  const cases: [string, string, object | undefined, Record<keyof typeof KEYS, number>][] = [
    ["GET", "/v1/jobs?state=pending&queue=QUEUE", undefined, { read: 200, submit: 200, admin: 200 }],
    ["GET", "/v1/queues", undefined, { read: 200, submit: 200, admin: 200 }],
    ["GET", "/v1/workers", undefined, { read: 200, submit: 200, admin: 200 }],
    ["GET", "/v1/metrics", undefined, { read: 200, submit: 200, admin: 200 }],
    ["POST", "/v1/jobs", { type: "a", queue: "QUEUE" }, { read: 403, submit: 201, admin: 201 }],
    [
      "POST",
      "/v1/jobs/batch",
      { jobs: [{ type: "a", queue: "QUEUE" }] },
      { read: 403, submit: 201, admin: 201 },
    ],
    ["POST", "/v1/queues/QUEUE/pause", undefined, { read: 403, submit: 403, admin: 200 }],
    ["POST", "/v1/dead-letter/retry", { queue: "QUEUE" }, { read: 403, submit: 403, admin: 200 }],
    ["DELETE", "/v1/dead-letter?queue=QUEUE", undefined, { read: 403, submit: 403, admin: 200 }],
  ];
  for (const [method, template, json, expected] of cases) {
    it(`${method} ${template.replace(/\?.*/, "")}`, async () => {
      const path = template.replace("QUEUE", queue);
      for (const role of ["read", "submit", "admin"] as const) {
        const body = json && JSON.parse(JSON.stringify(json).replace("QUEUE", queue));
        const res = await t.request(path, { method, key: KEYS[role], ...(body ? { json: body } : {}) });
        expect(res.status, `${role} ${method} ${path}`).toBe(expected[role]);
      }
    });
  }

  it("lets only admin cancel, retry and delete jobs", async () => {
    for (const role of ["read", "submit"] as const) {
      const res = await t.request(`/v1/jobs/${jobId}/cancel`, { method: "POST", key: KEYS[role] });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain("admin");
    }
    expect((await t.request(`/v1/jobs/${jobId}/cancel`, { method: "POST", key: KEYS.admin })).status).toBe(
      200,
    );
    expect((await t.request(`/v1/jobs/${jobId}/retry`, { method: "POST", key: KEYS.submit })).status).toBe(
      403,
    );
    expect((await t.request(`/v1/jobs/${jobId}`, { method: "DELETE", key: KEYS.read })).status).toBe(403);
  });
});

describe("open mode", () => {
  it("lets everyone do everything when no keys are configured", async () => {
    const open = await createTestApp(inject("redisUrl"));
    try {
      const res = await open.request(`/v1/queues/${queue}/resume`, { method: "POST" });
      expect(res.status).toBe(200);
    } finally {
      await open.close();
    }
  });
});
