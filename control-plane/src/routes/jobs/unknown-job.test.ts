import { Queue } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp, uniqueQueue } from "../../testing/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
});
afterAll(() => t.close());

describe("a well-formed id that names no job", () => {
  it("is 404 on every job route, in a queue that exists and in one that does not", async () => {
    const name = uniqueQueue("unknown");
    await new Queue({ redis: t.redis, name }).add({ type: "a" });
    for (const id of [`${name}:999999`, `${uniqueQueue("never")}:1`]) {
      const calls: [string, string, unknown?][] = [
        ["GET", `/v1/jobs/${id}`],
        ["GET", `/v1/jobs/${id}/graph`],
        ["GET", `/v1/jobs/${id}/wait?timeoutMs=0`],
        ["GET", `/v1/jobs/${id}/logs`],
        ["POST", `/v1/jobs/${id}/cancel`],
        ["POST", `/v1/jobs/${id}/retry`, {}],
        ["POST", `/v1/jobs/${id}/replay`, {}],
        ["DELETE", `/v1/jobs/${id}`],
      ];
      for (const [method, path, json] of calls) {
        const res = await t.request(path, { method, ...(json ? { json } : {}) });
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(res.status, `${method} ${path}: ${JSON.stringify(body)}`).toBe(404);
        expect(body.error.message, `${method} ${path}`).toContain(id);
      }
    }
  });
});
