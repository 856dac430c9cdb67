/**
 * What a dead-lettered job costs Redis (R-queue only; issue 12, defect 12): N jobs
 * whose handler throws from 12 nested calls (a full 10-frame Node stack) on each of 3
 * attempts, retried at once. Reports used_memory growth per dead-lettered job (the
 * job hash, its index entries, events and counters together) and the job hash alone
 * (MEMORY USAGE, median of a sample), which is what the failed-job cap multiplies.
 */
import { ConsumeLoop, Consumer, createRedis, Queue, queueKeys } from "@rqueue/shared";
import type { BenchRedis } from "../bench-redis.js";

const ATTEMPTS = 3;
const SAMPLE = 50;

/** Application code 12 calls deep, as a payment SDK under a service layer throws: a full V8 stack. */
function callDeep(depth: number, amount: number): never {
  if (depth === 0) throw new Error(`payment gateway refused a charge of ${amount}: card_declined`);
  return callDeep(depth - 1, amount);
}
const handleInvoice = (payload: unknown) => callDeep(12, (payload as { i: number }).i);

export async function failedFootprint(redis: BenchRedis, queueName: string, jobs: number) {
  const client = createRedis(redis.url);
  const queue = new Queue({ redis: client, name: queueName });
  const usedMemory = async () => Number((await redis.info("memory")).used_memory);
  const loop = new ConsumeLoop({
    consumer: new Consumer({ redis: client, queue: queueName, workerId: `bench-failed-${process.pid}` }),
    concurrency: 50,
    handler: (job) => handleInvoice(job.payload),
  });
  const failedAtLeast = async (count: number) => {
    while ((await queue.counts()).total.failed < count) await new Promise((r) => setTimeout(r, 50));
  };
  loop.start();
  try {
    // One job fails first, so the type's indexes exist before the measurement starts.
    await queue.add({ type: "invoice", payload: { i: -1 }, maxAttempts: 1 });
    await failedAtLeast(1);
    const before = await usedMemory();
    const added: string[] = [];
    for (let start = 0; start < jobs; start += 1_000) {
      const batch = await queue.addBulk(
        Array.from({ length: Math.min(1_000, jobs - start) }, (_, i) => ({
          type: "invoice",
          payload: { i: start + i },
          maxAttempts: ATTEMPTS,
          backoff: { strategy: "fixed" as const, delayMs: 0 },
        })),
      );
      added.push(...batch.map((job) => job.id));
    }
    await failedAtLeast(jobs + 1);
    const grown = (await usedMemory()) - before;
    const keys = queueKeys(queueName);
    const sizes = await Promise.all(
      added
        .slice(0, SAMPLE)
        .map(async (id) =>
          Number(
            await client.call("MEMORY", "USAGE", keys.job(id.slice(id.lastIndexOf(":") + 1)), "SAMPLES", "0"),
          ),
        ),
    );
    sizes.sort((a, b) => a - b);
    return {
      bytesPerFailedJob: grown / jobs,
      jobHashBytes: sizes[Math.floor(sizes.length / 2)] ?? 0,
    };
  } finally {
    await loop.stop(5_000);
    client.disconnect();
  }
}
