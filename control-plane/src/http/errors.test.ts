import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp } from "../testing/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"), { RQ_BODY_LIMIT_BYTES: "2048" });
  t.app.get("/v1/explode", () => {
    throw new Error("secret internals at /srv/app.ts:12");
  });
});
afterAll(() => t.close());

interface ErrorBody {
  error: { code: string; message: string; issues: { path: string; message: string }[] };
}

describe("error responses", () => {
  it("400 for malformed JSON", async () => {
    const res = await t.request("/v1/jobs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"type": "a",',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.code).toBe("malformed_json");
  });

  it("415 for a body that is not JSON, or has no content type", async () => {
    for (const headers of [{ "content-type": "text/plain" }, {}] as Record<string, string>[]) {
      const res = await t.request("/v1/jobs", { method: "POST", headers, body: '{"type":"a"}' });
      expect(res.status).toBe(415);
      expect(((await res.json()) as ErrorBody).error.code).toBe("unsupported_media_type");
    }
    const vendor = await t.request("/v1/jobs", {
      method: "POST",
      headers: { "content-type": "application/vnd.api+json; charset=utf-8" },
      body: '{"type":"a"}',
    });
    expect(vendor.status).toBe(201);
  });

  it("413 over the configured body limit, by Content-Length or by streaming", async () => {
    const body = JSON.stringify({ type: "a", payload: "x".repeat(3000) });
    const declared = await t.request("/v1/jobs", { method: "POST", json: JSON.parse(body) });
    expect(declared.status).toBe(413);
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(body));
        controller.close();
      },
    });
    const streamed = await t.app.request("/v1/jobs", {
      method: "POST",
      headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
  });

  it("404 for an unknown job and an unknown route; 422 for a malformed id", async () => {
    const unknown = await t.request("/v1/jobs/default:999999999");
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as ErrorBody).error.code).toBe("job_not_found");
    const route = await t.request("/v1/nothing-here");
    expect(route.status).toBe(404);
    expect(((await route.json()) as ErrorBody).error.code).toBe("not_found");
    const malformed = await t.request("/v1/jobs/not-an-id");
    expect(malformed.status).toBe(422);
    expect(((await malformed.json()) as ErrorBody).error.issues[0]?.path).toBe("id");
  });

  it("500 for a bug, with the request id and no internals", async () => {
    const res = await t.request("/v1/explode", { headers: { "x-request-id": "req-123" } });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({
      error: { code: "internal_error", message: "internal error (request id req-123)", issues: [] },
    });
    expect(text).not.toContain("secret");
    expect(res.headers.get("x-request-id")).toBe("req-123");
  });

  it("never answers 500 to garbage input", async () => {
    const bodies = [
      "null",
      "42",
      '"str"',
      "[]",
      '{"type":{"$gt":""}}',
      '{"payload":{"__proto__":{"x":1}},"type":"a"}',
    ];
    for (const body of bodies) {
      const res = await t.request("/v1/jobs", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      expect(res.status, body).toBeLessThan(500);
    }
    for (const path of [
      "/v1/jobs?state=nope",
      "/v1/jobs?state=pending&limit=-1",
      "/v1/jobs?state=pending&cursor=%%%",
      "/v1/jobs/a:b:c/wait?timeoutMs=x",
    ]) {
      const res = await t.request(path);
      expect(res.status, path).toBe(422);
    }
  });

  it("issues a request id when the caller sends none or a bad one", async () => {
    const res = await t.request("/healthz", { headers: { "x-request-id": "bad id with spaces" } });
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});
