import type { QueueGauges } from "@rqueue/shared";
import { Consumer, configureCircuitBreaker, Queue } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp, uniqueQueue } from "../../testing/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
});
afterAll(() => t.close());

type QueueView = QueueGauges & { breakers: { type: string; state: string }[] };
const findQueue = async (name: string) =>
  ((await (await t.request("/v1/queues")).json()) as { queues: QueueView[] }).queues.find(
    (q) => q.name === name,
  );

describe("GET /v1/queues", () => {
  it("reports counts, backlog with due scheduled jobs, oldest pending age and breakers", async () => {
    const name = uniqueQueue("queues");
    const queue = new Queue({ redis: t.redis, name });
    await queue.add({ type: "a", priority: 2 });
    await queue.add({ type: "a", priority: 9 });
    await queue.add({ type: "b", delayMs: 30 });
    await queue.add({ type: "b", delayMs: 60_000 });
    const consumer = new Consumer({ redis: t.redis, queue: name, workerId: "w", types: ["a"] });
    await consumer.settle([], 1);
    await configureCircuitBreaker(t.redis, name, "a", { minCalls: 5 });
    await new Promise((resolve) => setTimeout(resolve, 1_100));

    const view = await findQueue(name);
    expect(view).toMatchObject({
      paused: false,
      counts: { pending: 1, processing: 1, scheduled: 2 },
      dueScheduled: 1,
      backlog: 2,
      breakers: [{ type: "a", state: "closed" }],
    });
    expect(view?.countsByType.b?.scheduled).toBe(2);
    // The job at priority 2 has waited since it was added, over a second ago.
    expect(view?.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(1);
    expect(view?.oldestPendingAgeSeconds).toBeLessThan(10);
    await consumer.close();
  });

  it("pauses and resumes a queue; 404 for an unknown one", async () => {
    const name = uniqueQueue("pause");
    await new Queue({ redis: t.redis, name }).add({ type: "a" });
    const paused = await t.request(`/v1/queues/${name}/pause`, { method: "POST" });
    expect(await paused.json()).toEqual({ name, paused: true });
    expect((await findQueue(name))?.paused).toBe(true);
    const consumer = new Consumer({ redis: t.redis, queue: name, workerId: "w" });
    expect((await consumer.settle([], 1)).taken).toHaveLength(0);
    await t.request(`/v1/queues/${name}/resume`, { method: "POST" });
    expect((await findQueue(name))?.paused).toBe(false);
    expect((await consumer.settle([], 1)).taken).toHaveLength(1);
    await consumer.close();
    expect((await t.request(`/v1/queues/${uniqueQueue("nope")}/pause`, { method: "POST" })).status).toBe(404);
    expect((await t.request("/v1/queues/bad{name}/pause", { method: "POST" })).status).toBe(422);
  });

  it("resets a circuit breaker; 404 for a type without one", async () => {
    const name = uniqueQueue("breaker");
    await new Queue({ redis: t.redis, name }).add({ type: "a" });
    await configureCircuitBreaker(t.redis, name, "a", {});
    const res = await t.request(`/v1/queues/${name}/breakers/a/reset`, { method: "POST" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ type: "a", state: "closed", calls: 0 });
    const missing = await t.request(`/v1/queues/${name}/breakers/zzz/reset`, { method: "POST" });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe(
      "circuit_breaker_not_found",
    );
  });
});
