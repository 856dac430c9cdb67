/**
 * Test support: runs jobs of a queue to an outcome through a real Consumer, as a
 * worker would: `failJobs` dead-letters them with a message (maxAttempts 1 jobs),
 * `completeJobs` completes them.
 */
import { Consumer, type RedisClient } from "@rqueue/shared";

async function settleAll(
  redis: RedisClient,
  queue: string,
  count: number,
  outcome: (index: number) => { kind: "failed"; error: Error } | { kind: "completed"; result: unknown },
) {
  const consumer = new Consumer({ redis, queue, workerId: "test-worker" });
  try {
    let done = 0;
    while (done < count) {
      const taken = await consumer.take(Math.min(50, count - done));
      if (taken.length === 0) throw new Error(`only ${done} of ${count} jobs could be taken`);
      await consumer.settle(
        taken.map((lease, i) => ({ lease, ...outcome(done + i) })),
        0,
      );
      done += taken.length;
    }
  } finally {
    await consumer.close();
  }
}

export const failJobs = (
  redis: RedisClient,
  queue: string,
  count: number,
  message: (index: number) => string,
) => settleAll(redis, queue, count, (index) => ({ kind: "failed", error: new Error(message(index)) }));

export const completeJobs = (redis: RedisClient, queue: string, count: number) =>
  settleAll(redis, queue, count, () => ({ kind: "completed", result: { ok: true } }));
