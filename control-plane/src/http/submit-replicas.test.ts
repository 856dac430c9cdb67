/**
 * A 201 means the jobs are on a replica when RQ_SUBMIT_REPLICAS asks for one (the chaos
 * suite found a job acknowledged by a thawed old master lost when it was demoted). A
 * write no replica confirmed answers 503 not_replicated, and submitting again with the
 * same idempotency key finds the job instead of writing a second one.
 */
import { Queue } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp, uniqueQueue } from "../testing/test-app.js";

let t: TestApp;
beforeAll(async () => {
  // The harness's standalone Redis has no replica: no write can be confirmed.
  t = await createTestApp(inject("redisUrl"), {
    RQ_SUBMIT_REPLICAS: "1",
    RQ_SUBMIT_REPLICAS_TIMEOUT_MS: "20",
  });
});
afterAll(async () => {
  await t?.close();
});

describe("submissions that wait for a replica", () => {
  it("answers 503 not_replicated, and a resubmission with the same key writes nothing more", async () => {
    const queue = uniqueQueue("unreplicated");
    const body = { type: "t", queue, payload: { n: 1 }, idempotencyKey: "once" };
    const first = await t.request("/v1/jobs", { method: "POST", json: body });
    expect(first.status).toBe(503);
    expect(first.headers.get("retry-after")).toBe("1");
    expect(((await first.json()) as { error: unknown }).error).toMatchObject({ code: "not_replicated" });
    const again = await t.request("/v1/jobs", { method: "POST", json: body });
    expect(again.status).toBe(503);
    const counts = await new Queue({ redis: t.redis, name: queue }).counts();
    expect(counts.total.pending).toBe(1);
  });
});
