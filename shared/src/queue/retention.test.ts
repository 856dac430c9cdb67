import { describe, expect, it } from "vitest";
import { sleep, targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { Consumer } from "../consumer/consumer.js";
import { Queue } from "./queue.js";

describe.each(targets)("retention (%s)", (_name, url) => {
  const redis = useRedis(url);

  async function runAll(worker: Consumer, kind: "completed" | "failed") {
    for (;;) {
      const jobs = await worker.take(50);
      if (jobs.length === 0) return;
      await worker.settle(
        jobs.map((lease) =>
          kind === "completed"
            ? { lease, kind: "completed" as const, result: { ok: true } }
            : { lease, kind: "failed" as const, error: new Error("x") },
        ),
        0,
      );
    }
  }

  it("keeps final jobs by count, deleting the oldest jobs' data", async () => {
    const settings = { retention: { keepCompleted: 5, keepFailed: 3 } };
    const queue = new Queue({ redis: redis(), name: uniqueQueue("ret"), settings });
    const worker = new Consumer({ redis: redis(), queue: queue.name, workerId: "w1", settings });
    const added = await queue.addBulk(Array.from({ length: 12 }, () => ({ type: "noop" })));
    await runAll(worker, "completed");
    expect((await queue.counts()).total.completed).toBe(5);
    const survivors = (await queue.list({ state: "completed" })).items.map((job) => job.id);
    expect(survivors).toHaveLength(5);
    const missing = await Promise.all(added.map(async ({ id }) => (await queue.getJob(id)) === null));
    expect(missing.filter(Boolean)).toHaveLength(7);

    await queue.addBulk(Array.from({ length: 6 }, () => ({ type: "noop", maxAttempts: 1 })));
    await runAll(worker, "failed");
    expect((await queue.counts()).total.failed).toBe(3);
  });

  // The scripts keep the last settings and key prefix they were called with (a worker
  // sends the same ones every call): calls of two queues taking turns must each get their own.
  it("applies each queue's own retention when calls of two queues with different settings alternate", async () => {
    const tight = { retention: { keepCompleted: 2 } };
    const loose = { retention: { keepCompleted: 50 } };
    const a = new Queue({ redis: redis(), name: uniqueQueue("ret-a"), settings: tight });
    const b = new Queue({ redis: redis(), name: uniqueQueue("ret-b"), settings: loose });
    const workerA = new Consumer({ redis: redis(), queue: a.name, workerId: "wa", settings: tight });
    const workerB = new Consumer({ redis: redis(), queue: b.name, workerId: "wb", settings: loose });
    await a.addBulk(Array.from({ length: 10 }, () => ({ type: "noop" })));
    await b.addBulk(Array.from({ length: 10 }, () => ({ type: "noop" })));
    for (let i = 0; i < 10; i++) {
      for (const worker of [workerA, workerB]) {
        const [lease] = await worker.take(1);
        if (lease) await worker.settle([{ lease, kind: "completed", result: null }], 0);
      }
    }
    expect((await a.counts()).total.completed).toBe(2);
    expect((await b.counts()).total.completed).toBe(10);
  });

  it("trims final jobs by age in housekeeping", async () => {
    const settings = { retention: { completedAgeMs: 50, canceledAgeMs: 50 } };
    const queue = new Queue({ redis: redis(), name: uniqueQueue("ret"), settings });
    const worker = new Consumer({ redis: redis(), queue: queue.name, workerId: "w1", settings });
    await queue.addBulk(Array.from({ length: 30 }, () => ({ type: "noop" })));
    await runAll(worker, "completed");
    const canceled = await queue.add({ type: "noop" });
    await queue.cancel(canceled.id);
    expect((await queue.maintain()).trimmed).toBe(0);
    await sleep(80);
    const young = await queue.add({ type: "noop" });
    await queue.cancel(young.id);
    expect((await queue.maintain(7)).trimmed).toBe(31);
    expect((await queue.counts()).total).toMatchObject({ completed: 0, canceled: 1 });
  });

  it("keeps Redis memory bounded under a steady stream of jobs", async () => {
    const settings = { retention: { keepCompleted: 100 }, eventsMaxLen: 200 };
    const queue = new Queue({ redis: redis(), name: uniqueQueue("ret"), settings });
    const worker = new Consumer({ redis: redis(), queue: queue.name, workerId: "w1", settings });
    const keysOfQueue = async () => {
      const nodes = "nodes" in redis() ? (redis() as import("ioredis").Cluster).nodes("master") : [redis()];
      let total = 0;
      for (const node of nodes) total += (await node.keys(`rq:{${queue.name}}:*`)).length;
      return total;
    };
    const sizes: number[] = [];
    for (let round = 0; round < 4; round++) {
      await queue.addBulk(Array.from({ length: 500 }, () => ({ type: "noop", payload: { round } })));
      await runAll(worker, "completed");
      sizes.push(await keysOfQueue());
    }
    expect((await queue.counts()).total.completed).toBe(100);
    // Same key count after 1,000 jobs as after 2,000: nothing accumulates (the first
    // round may not have filled both of the consumer's remembered-take slots yet).
    expect(sizes[3]).toBe(sizes[1]);
    expect((sizes[3] ?? 0) - (sizes[0] ?? 0)).toBeLessThanOrEqual(2);
    expect(await redis().xlen(queue.context.keys.events)).toBeLessThan(400);
  });
});
