/**
 * Memory: Redis bytes per pending job with a small payload, from INFO's
 * used_memory before and after adding N jobs to an otherwise empty server.
 */
import type { Redis } from "ioredis";
import type { QueueSystem } from "../systems/system.js";

export async function bytesPerPendingJob(system: QueueSystem, admin: Redis, jobs: number): Promise<number> {
  const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await admin.info("memory"))?.[1]);
  await system.addOne({ warmup: true }); // creates the queue's fixed keys outside the measurement
  const before = await usedMemory();
  await system.addBulk(jobs, 1_000, (i) => ({ i }));
  return ((await usedMemory()) - before) / jobs;
}
