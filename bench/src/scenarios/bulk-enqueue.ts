/** Bulk enqueue: N small jobs in batches, jobs per second. */
import type { QueueSystem } from "../systems/system.js";

export async function bulkEnqueue(system: QueueSystem, jobs: number, batchSize: number): Promise<number> {
  const started = performance.now();
  await system.addBulk(jobs, batchSize, (i) => ({ i }));
  return jobs / ((performance.now() - started) / 1000);
}
