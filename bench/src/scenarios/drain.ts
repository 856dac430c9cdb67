/**
 * Drain: pre-fill N no-op jobs (optionally with priorities spread over 1–10), start
 * one worker with the given concurrency, and time until every job is completed.
 * Also what the whole lifecycle (add + take + complete) cost Redis — main-thread
 * CPU and command time from INFO, reset before the adds — and what the worker cost
 * its process (`process.cpuUsage()` over the drain), each per job.
 */
import type { BenchRedis } from "../bench-redis.js";
import { commandMicros, mainThreadCpuSeconds, parseCommandStats } from "../redis-info.js";
import type { QueueSystem } from "../systems/system.js";

export interface DrainOptions {
  jobs: number;
  concurrency: number;
  priorities?: boolean;
  onProgress?: (completed: number) => void;
}

export async function drain(system: QueueSystem, redis: BenchRedis, options: DrainOptions) {
  const { jobs, concurrency } = options;
  await redis.admin.config("RESETSTAT");
  const cpuBefore = mainThreadCpuSeconds(await redis.info("cpu"));
  await system.addBulk(jobs, 1_000, () => ({}), options.priorities ? { priority: (i) => 1 + (i % 10) } : {});
  const workerCpu = process.cpuUsage();
  const started = performance.now();
  const worker = await system.startWorker(concurrency);
  for (let done = 0; done < jobs; done = await system.completedCount()) {
    options.onProgress?.(done);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const seconds = (performance.now() - started) / 1000;
  const worked = process.cpuUsage(workerCpu);
  const commands = commandMicros(parseCommandStats(await redis.info("commandstats")));
  const redisCpu = mainThreadCpuSeconds(await redis.info("cpu")) - cpuBefore;
  await worker.stop();
  return {
    jobsPerSecond: jobs / seconds,
    redisCpuMicrosPerJob: (redisCpu * 1e6) / jobs,
    redisCommandMicrosPerJob: commands / jobs,
    workerCpuMicrosPerJob: (worked.user + worked.system) / jobs,
  };
}
