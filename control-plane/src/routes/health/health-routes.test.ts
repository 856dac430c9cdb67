import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp } from "../../testing/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"), { RQ_API_KEYS: "ops:0123456789abcdef:admin" });
});
afterAll(() => t.close());

describe("probes", () => {
  it("healthz and readyz answer without a key", async () => {
    expect(await (await t.request("/healthz")).json()).toEqual({ status: "ok" });
    expect(await (await t.request("/readyz")).json()).toEqual({ status: "ready" });
  });

  it("readyz answers 503 while draining", async () => {
    t.services.lifecycle.draining = true;
    const res = await t.request("/readyz");
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("draining");
    t.services.lifecycle.draining = false;
  });
});
