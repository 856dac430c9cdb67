/**
 * Test support: runs real jobs to their final states on a real Redis with the
 * engine's ConsumeLoop, so archive tests archive what workers really produce.
 * Payloads with `fail: true` dead-letter at once; the others complete with a result.
 */
import { ConsumeLoop, Consumer, type Queue, type RedisClient, UnrecoverableError } from "@rqueue/shared";

export async function addTestJobs(queue: Queue, count: number, offset = 0): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += 500) {
    const batch = Array.from({ length: Math.min(500, count - start) }, (_, i) => {
      const n = offset + start + i;
      return {
        type: n % 2 === 0 ? "report.build" : "email.send",
        payload: { n, user: { plan: n % 3 === 0 ? "pro" : "free" }, fail: n % 10 === 7 },
      };
    });
    ids.push(...(await queue.addBulk(batch)).map((job) => job.id));
  }
  return ids;
}

/** Completes (or dead-letters) every job of the queue; resolves when none is left unfinished. */
export async function drainQueue(redis: RedisClient, queue: Queue, expectedFinal: number): Promise<void> {
  const loop = new ConsumeLoop({
    consumer: new Consumer({ redis, queue: queue.name, workerId: `drain-${queue.name}` }),
    concurrency: 50,
    handler: async (job) => {
      const payload = job.payload as { n: number; fail: boolean };
      if (payload.fail) throw new UnrecoverableError(`bad input number ${payload.n}`);
      return { doubled: payload.n * 2 };
    },
  });
  loop.start();
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      const { total } = await queue.counts();
      if (total.completed + total.failed >= expectedFinal) return;
      if (Date.now() > deadline)
        throw new Error(`only ${total.completed + total.failed} of ${expectedFinal} final`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } finally {
    await loop.stop(5_000);
  }
}
