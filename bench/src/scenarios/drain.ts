/**
 * Drain: pre-fill N no-op jobs, start one worker with the given concurrency, and
 * time until every job is acknowledged as completed in Redis.
 */
import type { QueueSystem } from "../systems/system.js";

export async function drain(system: QueueSystem, jobs: number, concurrency: number): Promise<number> {
  await system.addBulk(jobs, 1_000, () => ({}));
  const started = performance.now();
  const worker = await system.startWorker(concurrency);
  while ((await system.completedCount()) < jobs) await new Promise((resolve) => setTimeout(resolve, 10));
  const seconds = (performance.now() - started) / 1000;
  await worker.stop();
  return jobs / seconds;
}
