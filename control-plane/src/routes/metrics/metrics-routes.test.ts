import { Consumer, Queue } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp, uniqueQueue } from "../../testing/test-app.js";
import type { MetricsSnapshot } from "./metrics-snapshot.js";

let t: TestApp;
const name = uniqueQueue("metrics");
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
  const queue = new Queue({ redis: t.redis, name });
  await queue.addBulk(Array.from({ length: 5 }, () => ({ type: "m", maxAttempts: 1 })));
  const consumer = new Consumer({ redis: t.redis, queue: name, workerId: "w" });
  const { taken } = await consumer.settle([], 3);
  const [first, second, third] = taken;
  await consumer.settle(
    [
      { lease: first as NonNullable<typeof first>, kind: "completed" },
      { lease: second as NonNullable<typeof second>, kind: "completed" },
      { lease: third as NonNullable<typeof third>, kind: "failed", error: new Error("x") },
    ],
    0,
  );
  await consumer.close();
});
afterAll(() => t.close());

describe("GET /v1/metrics", () => {
  it("answers the dashboard snapshot for a queue", async () => {
    const res = await t.request(`/v1/metrics?queue=${name}`);
    expect(res.status).toBe(200);
    const snapshot = (await res.json()) as MetricsSnapshot;
    expect(snapshot.counts).toMatchObject({ pending: 2, completed: 2, failed: 1 });
    expect(snapshot.backlog).toBe(2);
    expect(snapshot.queues[name]?.backlog).toBe(2);
    expect(snapshot.throughput.completed.reduce((a, b) => a + b, 0)).toBe(2);
    expect(snapshot.throughput.failed.reduce((a, b) => a + b, 0)).toBe(1);
    expect(snapshot.throughput.completed.length).toBeGreaterThan(14 * 60);
    expect(snapshot.throughput.completed.length).toBeLessThanOrEqual(15 * 60);
    expect(snapshot.runMs.count).toBe(3);
    expect(snapshot.waitMs.p99).not.toBeNull();
    expect(snapshot.scaling).toMatchObject({ desiredWorkers: 1, targetDrainSeconds: 30 });
    expect(snapshot.workers).toMatchObject({ total: 0, healthy: 0 });
    expect(snapshot.ecs).toBeNull();
  });

  it("serves a cached body for a second, with an ETag answered 304", async () => {
    const first = await t.request(`/v1/metrics?queue=${name}`);
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^W\/".+"$/);
    await new Queue({ redis: t.redis, name }).add({ type: "m" });
    const cached = await t.request(`/v1/metrics?queue=${name}`, { headers: { "if-none-match": etag ?? "" } });
    expect(cached.status).toBe(304);
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    const fresh = await t.request(`/v1/metrics?queue=${name}`, { headers: { "if-none-match": etag ?? "" } });
    expect(fresh.status).toBe(200);
    expect(((await fresh.json()) as MetricsSnapshot).counts.pending).toBe(3);
  });

  it("rejects a bad queue filter with 422", async () => {
    expect((await t.request("/v1/metrics?queue=a{b}")).status).toBe(422);
  });
});
