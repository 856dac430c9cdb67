/**
 * Bulk enqueue and memory in one pass: N small jobs added in batches (jobs per
 * second), and Redis bytes per pending job from INFO used_memory before and after
 * (the queue's fixed keys are created by one job first, outside both measurements).
 */
import type { BenchRedis } from "../bench-redis.js";
import type { QueueSystem } from "../systems/system.js";

/** Longer than one of Redis's cron cycles (hz 10), which carries on a rehash between commands. */
const CRON_CYCLE_MS = 120;
const MAX_CYCLES = 10;

/**
 * used_memory once the keyspace's hash table holds still. Redis grows that table by
 * rehashing incrementally and counts the old table too until the move is done, which its
 * cron finishes between commands: read in between, 20k jobs showed 6.5 bytes a job more
 * (16,384 slots of 8 bytes), so the figure depended on how soon after the last add it was
 * read, and a faster enqueue read it higher.
 */
async function settledMemory(redis: BenchRedis): Promise<number> {
  const mainTable = async () => {
    const stats = (await redis.admin.call("MEMORY", "STATS")) as unknown[];
    const db = stats[stats.indexOf("db.0") + 1];
    return Array.isArray(db) ? Number(db[db.indexOf("overhead.hashtable.main") + 1]) : 0;
  };
  let table = await mainTable();
  for (let cycle = 0; cycle < MAX_CYCLES; cycle++) {
    await new Promise((resolve) => setTimeout(resolve, CRON_CYCLE_MS));
    const now = await mainTable();
    if (now === table) break;
    table = now;
  }
  return Number((await redis.info("memory")).used_memory);
}

export async function bulkEnqueue(system: QueueSystem, redis: BenchRedis, jobs: number, batchSize: number) {
  await system.addOne({ i: -1 });
  const before = await settledMemory(redis);
  const started = performance.now();
  await system.addBulk(jobs, batchSize, (i) => ({ i }));
  const seconds = (performance.now() - started) / 1000;
  return {
    jobsPerSecond: jobs / seconds,
    bytesPerPendingJob: ((await settledMemory(redis)) - before) / jobs,
  };
}
