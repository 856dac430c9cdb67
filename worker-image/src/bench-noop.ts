/**
 * Throughput of one worker process on no-op jobs, and its CPU cost per job.
 * Pre-fills N `noop` jobs into a paused queue (so enqueueing is not measured),
 * starts a worker in this process, resumes the queue and times the drain. CPU
 * per job is this process's process.cpuUsage() delta over the drain divided by
 * N: everything the worker does (loops, Redis client, heartbeat), nothing else.
 *
 *   node --conditions=development --import tsx worker-image/src/bench-noop.ts [jobs] [concurrency]
 *
 * REDIS_URL points at a server to use; by default a throwaway redis-server is started.
 */
import { createRedis, Queue } from "@rqueue/shared";
import { startRedisServer } from "../../shared/test/redis-harness.js";
import { parseConfig } from "./config.js";
import { startWorker } from "./launcher.js";
import { createLogger } from "./logger.js";

const jobs = Number(process.argv[2] ?? 20_000);
const concurrency = Number(process.argv[3] ?? 50);
const server = process.env.REDIS_URL ? undefined : await startRedisServer();
const redisUrl = process.env.REDIS_URL ?? server?.url ?? "";
const redis = createRedis(redisUrl);
const queue = new Queue({ redis, name: `bench-noop-${Date.now()}` });

await queue.pause();
for (let added = 0; added < jobs; added += 1_000) {
  await queue.addBulk(Array.from({ length: Math.min(1_000, jobs - added) }, () => ({ type: "noop" })));
}
const parsed = parseConfig({
  REDIS_URL: redisUrl,
  RQ_QUEUES: queue.name,
  RQ_CONCURRENCY: String(concurrency),
});
if (!parsed.ok) throw new Error(parsed.errors.join("; "));
const worker = await startWorker(parsed.config, { logger: createLogger({ role: "bench" }) });

const cpuBefore = process.cpuUsage();
const startedAt = performance.now();
await queue.resume();
while (worker.heartbeat.snapshot().processed < jobs) await new Promise((resolve) => setTimeout(resolve, 5));
const seconds = (performance.now() - startedAt) / 1_000;
const cpu = process.cpuUsage(cpuBefore);

const completed = (await queue.counts()).total.completed;
await worker.stop();
redis.disconnect();
await server?.stop();
const perJobUs = (cpu.user + cpu.system) / jobs;
process.stdout.write(
  `${JSON.stringify({
    jobs,
    concurrency,
    seconds: Number(seconds.toFixed(3)),
    jobsPerSecond: Math.round(jobs / seconds),
    cpuUserMs: Math.round(cpu.user / 1_000),
    cpuSystemMs: Math.round(cpu.system / 1_000),
    cpuPerJobUs: Number(perJobUs.toFixed(1)),
    completedKept: completed,
  })}\n`,
);
