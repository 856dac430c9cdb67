import type { Job } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp, uniqueQueue } from "../../testing/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
});
afterAll(() => t.close());

describe("GET /v1/jobs/:id?omit=", () => {
  it("leaves the payload and result out when asked, and says so", async () => {
    const queue = uniqueQueue("omit");
    const payload = { blob: "x".repeat(100_000) };
    const job = (await (
      await t.request("/v1/jobs", { method: "POST", json: { type: "a", queue, payload } })
    ).json()) as Job;
    const response = await t.request(`/v1/jobs/${job.id}?omit=payload,result`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text.length).toBeLessThan(2_000);
    const summary = JSON.parse(text) as Record<string, unknown>;
    expect(summary).toMatchObject({ id: job.id, state: "pending", omitted: ["payload", "result"] });
    expect("payload" in summary || "result" in summary).toBe(false);
    const whole = (await (await t.request(`/v1/jobs/${job.id}`)).json()) as Job;
    expect(whole.payload).toEqual(payload);
  });

  it("refuses other fields with 422 naming omit", async () => {
    const queue = uniqueQueue("omit-bad");
    const job = (await (
      await t.request("/v1/jobs", { method: "POST", json: { type: "a", queue } })
    ).json()) as Job;
    const response = await t.request(`/v1/jobs/${job.id}?omit=payload,state`);
    expect(response.status).toBe(422);
    const body = (await response.json()) as { error: { issues: { path: string }[] } };
    expect(body.error.issues[0]?.path).toBe("omit");
  });
});
