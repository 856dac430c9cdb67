/**
 * A worker that stalls between Redis leasing it jobs and running them (SIGSTOP, an
 * event loop blocked, a slow network) does not start them once half their lease is
 * gone: by then another worker may hold them, and a handler started on an expired
 * lease runs its side effects twice even though its result is refused. Found by the
 * chaos suite (a frozen worker); the stall is reproduced by holding back the reply.
 */
import { describe, expect, it } from "vitest";
import { eventually, sleep, targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { Queue } from "../queue/queue.js";
import { ConsumeLoop } from "./consume-loop.js";
import { Consumer } from "./consumer.js";

describe.each(targets)("a stalled take (%s)", (_name, url) => {
  const redis = useRedis(url);

  it("hands back jobs whose take answer was handled after half a lease, and runs them once later", async () => {
    const name = uniqueQueue("stall");
    const queue = new Queue({ redis: redis(), name });
    const { id } = await queue.add({ type: "t", payload: {} });
    const consumer = new Consumer({ redis: redis(), queue: name, workerId: "w-stall", leaseMs: 400 });
    const stalledTokens: string[] = [];
    const settle = consumer.settle.bind(consumer);
    consumer.settle = async (...args) => {
      const result = await settle(...args);
      if (result.taken.length > 0 && stalledTokens.length === 0) {
        for (const job of result.taken) stalledTokens.push(job.token);
        await sleep(450); // The process stalls with the answer in hand.
      }
      return result;
    };
    const startedTokens: string[] = [];
    const loop = new ConsumeLoop({
      consumer,
      concurrency: 1,
      maintainEveryMs: 50,
      handler: async (job) => {
        startedTokens.push(job.token);
        return "ok";
      },
    });
    loop.start();
    try {
      await eventually(async () => (await queue.getJob(id))?.state === "completed", 15_000);
    } finally {
      await loop.stop(2_000);
    }
    expect(stalledTokens).toHaveLength(1);
    expect(startedTokens).toHaveLength(1);
    expect(startedTokens).not.toContain(stalledTokens[0]);
  });
});
