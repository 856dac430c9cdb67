/**
 * The dashboard's benchmark: adds N jobs of `noop` or `cpu` to a queue in
 * batches and follows them as the workers drain them, sampling the queue's
 * completion counters twice a second. One run at a time across all control-plane
 * replicas (a Redis lease renewed while it runs); the latest run is kept in Redis
 * so every replica can show it. Completions are the queue's own counters, so other
 * traffic in the queue during the run counts too; the summary says so.
 */
import { randomUUID } from "node:crypto";
import type { BenchmarkInput } from "../api/api-schemas.js";
import type { BenchmarkRun, LatencyPercentiles } from "../api/api-types.js";
import { BENCHMARK_LOCK_KEY, BENCHMARK_RUN_KEY, queueKeys } from "../keys.js";
import type { RedisClient } from "../redis/connection.js";
import type { JobInput } from "../schemas/job-input.js";
import type { Queue } from "./queue.js";

const LEASE_MS = 30_000;
const SAMPLE_MS = 500;
const MAX_SAMPLES = 400;
/** A run whose jobs have not all finished by then stops as `timed-out`. */
export const BENCHMARK_TIMEOUT_MS = 10 * 60_000;
const STALE_MS = 15_000;
const KEEP_SECONDS = 7 * 24 * 3600;

export class BenchmarkBusyError extends Error {
  readonly code = "benchmark_running";
  constructor() {
    super("a benchmark is already running; wait for it or cancel it");
  }
}

type Resolved = BenchmarkRun["input"];

function decode(raw: string | null, now: number): BenchmarkRun | null {
  if (!raw) return null;
  const run = JSON.parse(raw) as BenchmarkRun;
  if (run.status === "running" && now - Date.parse(run.updatedAt) > STALE_MS)
    return { ...run, status: "interrupted" };
  return run;
}

export async function getBenchmarkRun(redis: RedisClient, now = Date.now()): Promise<BenchmarkRun | null> {
  return decode(await redis.get(BENCHMARK_RUN_KEY), now);
}

/** Asks the running benchmark to stop (its jobs already added stay); false when none runs. */
export async function cancelBenchmarkRun(redis: RedisClient): Promise<boolean> {
  const holder = await redis.get(BENCHMARK_LOCK_KEY);
  if (!holder) return false;
  await redis.set(`${BENCHMARK_LOCK_KEY}:cancel:${holder}`, "1", "PX", LEASE_MS);
  return true;
}

const none = (): LatencyPercentiles => ({ p50: null, p95: null, p99: null });

async function counters(redis: RedisClient, queue: Queue) {
  const [completed, failed] = await redis.hmget(queueKeys(queue.name).stats, "completed", "failed");
  return { completed: Number(completed ?? 0), failed: Number(failed ?? 0) };
}

function jobsOf(input: Resolved, count: number): JobInput[] {
  const payload = input.type === "cpu" ? { rounds: input.cpuRounds } : {};
  return Array.from({ length: count }, () => ({ type: input.type, payload, maxAttempts: 1 }));
}

/** Starts a run in this process; BenchmarkBusyError when one already runs anywhere. */
export async function startBenchmarkRun(
  redis: RedisClient,
  queue: Queue,
  input: Required<BenchmarkInput>,
  createdBy: string,
): Promise<{ run: BenchmarkRun; done: Promise<BenchmarkRun> }> {
  const id = randomUUID();
  if ((await redis.set(BENCHMARK_LOCK_KEY, id, "PX", LEASE_MS, "NX")) !== "OK")
    throw new BenchmarkBusyError();
  const now = new Date().toISOString();
  const run: BenchmarkRun = {
    id,
    status: "running",
    input: { ...input, queue: queue.name },
    createdBy,
    startedAt: now,
    enqueuedAt: null,
    finishedAt: null,
    updatedAt: now,
    enqueued: 0,
    completed: 0,
    failed: 0,
    enqueueRate: 0,
    drainRate: 0,
    waitMs: none(),
    runMs: none(),
    samples: [{ t: 0, enqueued: 0, completed: 0 }],
    error: null,
  };
  await redis.set(BENCHMARK_RUN_KEY, JSON.stringify(run), "EX", KEEP_SECONDS);
  return { run, done: execute(redis, queue, run) };
}

async function execute(redis: RedisClient, queue: Queue, initial: BenchmarkRun): Promise<BenchmarkRun> {
  const run: BenchmarkRun = { ...initial, samples: [...initial.samples] };
  const started = Date.parse(run.startedAt);
  const baseline = await counters(redis, queue);
  const cancelKey = `${BENCHMARK_LOCK_KEY}:cancel:${run.id}`;
  let enqueueError: unknown = null;
  let enqueueDoneAt = 0;
  let lastCompletionAt = started;

  const enqueue = (async () => {
    for (let added = 0; added < run.input.jobs && run.status === "running"; ) {
      const count = Math.min(run.input.batchSize, run.input.jobs - added);
      await queue.addBulk(jobsOf(run.input, count));
      added += count;
      run.enqueued = added;
    }
    enqueueDoneAt = Date.now();
  })().catch((error: unknown) => {
    enqueueError = error;
  });

  const latency = async () => {
    const minutes = Math.floor(Date.now() / 60_000) - Math.floor(started / 60_000) + 1;
    const stats = await queue.stats(minutes);
    const pick = (s: typeof stats.waitMs) => ({ p50: s.p50, p95: s.p95, p99: s.p99 });
    run.waitMs = pick(stats.waitMs);
    run.runMs = pick(stats.runMs);
  };

  try {
    let ticks = 0;
    while (true) {
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
      const now = Date.now();
      const current = await counters(redis, queue);
      const completed = current.completed - baseline.completed;
      if (completed > run.completed) lastCompletionAt = now;
      run.completed = completed;
      run.failed = current.failed - baseline.failed;
      run.samples.push({ t: now - started, enqueued: run.enqueued, completed });
      if (run.samples.length > MAX_SAMPLES) run.samples = run.samples.filter((_, i) => i % 2 === 0);
      const enqueueEnd = enqueueDoneAt || now;
      run.enqueueRate = run.enqueued / Math.max(0.001, (enqueueEnd - started) / 1000);
      run.drainRate = run.completed / Math.max(0.001, (lastCompletionAt - started) / 1000);
      if (enqueueDoneAt && !run.enqueuedAt) run.enqueuedAt = new Date(enqueueDoneAt).toISOString();
      if (++ticks % 4 === 0) await latency();

      if (enqueueError) throw enqueueError;
      if (await redis.get(cancelKey)) run.status = "canceled";
      else if (enqueueDoneAt && run.completed + run.failed >= run.input.jobs) run.status = "completed";
      else if (now - started > BENCHMARK_TIMEOUT_MS) run.status = "timed-out";
      run.updatedAt = new Date(now).toISOString();
      if (run.status !== "running") break;
      await redis
        .multi()
        .set(BENCHMARK_RUN_KEY, JSON.stringify(run), "EX", KEEP_SECONDS)
        .pexpire(BENCHMARK_LOCK_KEY, LEASE_MS)
        .exec();
    }
    await enqueue;
    await latency();
  } catch (error) {
    run.status = "failed";
    run.error = error instanceof Error ? error.message : String(error);
  }
  run.finishedAt = new Date().toISOString();
  run.updatedAt = run.finishedAt;
  try {
    await redis.set(BENCHMARK_RUN_KEY, JSON.stringify(run), "EX", KEEP_SECONDS);
    // Release only our own lease (a check then a delete: at worst a newer run's lease of 30 s is cut short).
    if ((await redis.get(BENCHMARK_LOCK_KEY)) === run.id) await redis.del(BENCHMARK_LOCK_KEY);
  } catch {
    // Redis is gone: the lease expires by itself and readers see the run turn `interrupted`.
  }
  return run;
}
