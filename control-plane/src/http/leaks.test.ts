/**
 * Defect 10 (issue 12): worker stack traces reach only the role RQ_STACKS_ROLE names
 * (admin by default); 400s and 422s never quote the body or query back; validator
 * defaults are rewritten (`Invalid key: Expected never but received "x"` → unknown field).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { failJobs } from "../testing/fail-jobs.js";
import { createTestApp, type TestApp, uniqueQueue } from "../testing/test-app.js";

const KEYS = {
  read: "read-secret-0123456789",
  submit: "submit-secret-0123456789",
  admin: "admin-secret-0123456789",
};
let t: TestApp;
let queue: string;
let jobId: string;

beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"), {
    RQ_API_KEYS: Object.entries(KEYS)
      .map(([role, secret]) => `${role}-key:${secret}:${role}`)
      .join(","),
    RQ_REQUIRE_REGISTERED_TYPES: "0",
  });
  queue = uniqueQueue("leak");
  const res = await t.request("/v1/jobs", {
    method: "POST",
    key: KEYS.submit,
    json: { type: "a", queue, maxAttempts: 1, idempotencyKey: "leak-1" },
  });
  jobId = ((await res.json()) as { id: string }).id;
  await failJobs(t.redis, queue, 1, () => "boom");
});
afterAll(() => t.close());

const get = async (path: string, key: string) => {
  const res = await t.request(path, { key });
  return { status: res.status, text: await res.text() };
};

describe("stack traces", () => {
  it("are shown to admin keys", async () => {
    const job = JSON.parse((await get(`/v1/jobs/${jobId}`, KEYS.admin)).text);
    expect(job.lastError.stack).toContain("Error: boom");
    expect(job.errors[0].stack).toContain("Error: boom");
  });

  it("are left out for read and submit keys on every route that returns the job", async () => {
    const paths = [
      `/v1/jobs/${jobId}`,
      `/v1/jobs/${jobId}/wait?timeoutMs=0`,
      `/v1/jobs?queue=${queue}&state=failed`,
    ];
    for (const key of [KEYS.read, KEYS.submit]) {
      for (const path of paths) {
        const answer = await get(path, key);
        expect(answer.status, path).toBe(200);
        expect(answer.text, path).toContain("boom");
        expect(answer.text, path).not.toContain('"stack"');
      }
    }
    // An idempotent replay of the submit returns the stored (failed) job: no stack either.
    const replay = await t.request("/v1/jobs", {
      method: "POST",
      key: KEYS.submit,
      json: { type: "a", queue, maxAttempts: 1, idempotencyKey: "leak-1" },
    });
    expect(replay.status).toBe(200);
    expect(await replay.text()).not.toContain('"stack"');
  });
});

describe("error messages", () => {
  it("do not quote a malformed body", async () => {
    const res = await t.request("/v1/jobs", {
      method: "POST",
      key: KEYS.submit,
      headers: { "content-type": "application/json" },
      body: 'hunter2-secret {"type": "a"}',
    });
    expect(res.status).toBe(400);
    expect(await res.text()).not.toContain("hunter2");
  });

  it("say unknown field for a nested unknown key, without valibot's wording", async () => {
    const res = await t.request("/v1/jobs", {
      method: "POST",
      key: KEYS.submit,
      json: { type: "a", queue, backoff: { strategy: "fixed", delayMs: 1, hunter2: 1 } },
    });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { message: string; issues: unknown[] } };
    expect(body.error.issues).toEqual([{ path: "backoff.hunter2", message: "unknown field" }]);
    expect(body.error.message).not.toMatch(/Expected|received/);
  });

  it("do not quote bad values back, in bodies or queries", async () => {
    const bodyRes = await t.request("/v1/jobs", {
      method: "POST",
      key: KEYS.submit,
      json: { type: "a", queue, backoff: "hunter2-value", priority: "hunter2-priority" },
    });
    expect(bodyRes.status).toBe(422);
    expect(await bodyRes.text()).not.toContain("hunter2");
    const queryRes = await t.request(`/v1/jobs?queue=${queue}&state=hunter2-state&limit=hunter2`, {
      key: KEYS.read,
    });
    expect(queryRes.status).toBe(422);
    expect(await queryRes.text()).not.toContain("hunter2");
  });

  it("cut an enormous field name short", async () => {
    const res = await t.request("/v1/jobs", {
      method: "POST",
      key: KEYS.submit,
      json: { type: "a", queue, ["k".repeat(50_000)]: 1 },
    });
    expect(res.status).toBe(422);
    expect((await res.text()).length).toBeLessThan(1_000);
  });
});
