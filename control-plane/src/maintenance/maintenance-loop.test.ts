import { Consumer, type Job, Queue } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createLogger } from "../logging/logger.js";
import { createTestApp, type TestApp, uniqueQueue } from "../testing/test-app.js";
import { MaintenanceLoop } from "./maintenance-loop.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
});
afterAll(() => t.close());

describe("MaintenanceLoop", () => {
  it("recovers expired leases and promotes due scheduled jobs of every queue", async () => {
    const name = uniqueQueue("maint");
    const queue = new Queue({ redis: t.redis, name });
    const { id: stalled } = await queue.add({ type: "a", maxAttempts: 1 });
    const { id: later } = await queue.add({ type: "a", delayMs: 50 });
    const consumer = new Consumer({ redis: t.redis, queue: name, workerId: "crashed", leaseMs: 50 });
    expect((await consumer.take(1))[0]?.id).toBe(stalled);
    await new Promise((resolve) => setTimeout(resolve, 120));

    const loop = new MaintenanceLoop(t.services.queues, t.services.breaker, 1_000, createLogger("silent"));
    const totals = await loop.runOnce();
    expect(totals?.recovered).toBeGreaterThanOrEqual(1);
    expect(totals?.promoted).toBeGreaterThanOrEqual(1);
    const read = async (id: string) => ((await (await t.request(`/v1/jobs/${id}`)).json()) as Job).state;
    expect(await read(stalled)).toBe("failed");
    expect(await read(later)).toBe("pending");
    await consumer.close();
  });

  it("runs on its timer and stops cleanly", async () => {
    const name = uniqueQueue("maint-timer");
    const queue = new Queue({ redis: t.redis, name });
    const { id } = await queue.add({ type: "a", delayMs: 20 });
    const loop = new MaintenanceLoop(t.services.queues, t.services.breaker, 50, createLogger("silent"));
    loop.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await loop.stop();
    expect((await queue.getJob(id))?.state).toBe("pending");
  });
});
