/**
 * Bulk enqueue and memory in one pass: N small jobs added in batches (jobs per
 * second), and Redis bytes per pending job from INFO used_memory before and after
 * (the queue's fixed keys are created by one job first, outside both measurements).
 */
import type { BenchRedis } from "../bench-redis.js";
import type { QueueSystem } from "../systems/system.js";

export async function bulkEnqueue(system: QueueSystem, redis: BenchRedis, jobs: number, batchSize: number) {
  const usedMemory = async () => Number((await redis.info("memory")).used_memory);
  await system.addOne({ i: -1 });
  const before = await usedMemory();
  const started = performance.now();
  await system.addBulk(jobs, batchSize, (i) => ({ i }));
  const seconds = (performance.now() - started) / 1000;
  return { jobsPerSecond: jobs / seconds, bytesPerPendingJob: ((await usedMemory()) - before) / jobs };
}
