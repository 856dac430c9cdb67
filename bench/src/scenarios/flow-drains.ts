/**
 * Flow control under load (R-queue only; issue 15):
 *   - rate-limited drain: one job type limited to `ratePerSecond` starts (GCRA, a
 *     burst of `burst`), drained by several consume loops on their own connections;
 *     the achieved start rate beside the limit;
 *   - fair drain: half the jobs from one heavy tenant, half spread over 1,000 light
 *     tenants, drained with concurrency 50;
 *   - fairness: a heavy tenant's backlog is draining when a light tenant submits 10
 *     jobs; how many of the heavy tenant's jobs start between that submit and the
 *     light tenant's tenth start.
 * Redis CPU per job is main-thread CPU (INFO cpu) over the adds and the drain, as in
 * the plain drain scenario, so the rows compare.
 */
import { ConsumeLoop, Consumer, createRedis, type JobInput, Queue, type RedisClient } from "@rqueue/shared";
import type { BenchRedis } from "../bench-redis.js";
import { commandMicros, mainThreadCpuSeconds, parseCommandStats } from "../redis-info.js";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function addAll(queue: Queue, count: number, job: (i: number) => JobInput) {
  for (let start = 0; start < count; start += 1_000) {
    await queue.addBulk(Array.from({ length: Math.min(1_000, count - start) }, (_, i) => job(start + i)));
  }
}

/** Consume loops on connections of their own, each calling `onStart` as a job begins. */
function startLoops(
  url: string,
  queueName: string,
  loops: number,
  concurrency: number,
  onStart: (payload: unknown) => void,
) {
  const connections: RedisClient[] = [];
  const running = Array.from({ length: loops }, (_, i) => {
    const redis = createRedis(url);
    connections.push(redis);
    const loop = new ConsumeLoop({
      consumer: new Consumer({ redis, queue: queueName, workerId: `bench-flow-${process.pid}-${i}` }),
      concurrency,
      handler: (job) => void onStart(job.payload),
    });
    loop.start();
    return loop;
  });
  return async () => {
    await Promise.all(running.map((loop) => loop.stop()));
    for (const redis of connections) redis.disconnect();
  };
}

async function redisCost(redis: BenchRedis, cpuBefore: number, jobs: number) {
  const commands = commandMicros(parseCommandStats(await redis.info("commandstats")));
  const cpu = mainThreadCpuSeconds(await redis.info("cpu")) - cpuBefore;
  return { redisCpuMicrosPerJob: (cpu * 1e6) / jobs, redisCommandMicrosPerJob: commands / jobs };
}

async function untilCompleted(
  redis: RedisClient,
  queue: Queue,
  jobs: number,
  onProgress?: (done: number) => void,
) {
  for (;;) {
    const done = Number(await redis.hget(queue.context.keys.stats, "completed"));
    onProgress?.(done);
    if (done >= jobs) return;
    await pause(10);
  }
}

export interface RateLimitedOptions {
  jobs: number;
  ratePerSecond: number;
  burst: number;
  consumers: number;
  concurrency: number;
  onProgress?: (completed: number) => void;
}

export async function rateLimitedDrain(redis: BenchRedis, queueName: string, options: RateLimitedOptions) {
  const { jobs, ratePerSecond, burst } = options;
  const client = createRedis(redis.url);
  const queue = new Queue({ redis: client, name: queueName });
  try {
    await queue.setFlowLimit(
      { scope: "type", type: "limited" },
      { rate: { limit: ratePerSecond, windowMs: 1_000, burst } },
    );
    await redis.admin.config("RESETSTAT");
    const cpuBefore = mainThreadCpuSeconds(await redis.info("cpu"));
    await addAll(queue, jobs, () => ({ type: "limited", payload: {} }));
    const starts: number[] = [];
    const stop = startLoops(redis.url, queueName, options.consumers, options.concurrency, () =>
      starts.push(performance.now()),
    );
    await untilCompleted(client, queue, jobs, options.onProgress);
    const cost = await redisCost(redis, cpuBefore, jobs);
    await stop();
    starts.sort((a, b) => a - b);
    // The first `burst` jobs may start at once; the rate paces the rest.
    const spanSeconds = ((starts.at(-1) as number) - (starts[0] as number)) / 1000;
    const startsPerSecond = (starts.length - burst) / spanSeconds;
    return { startsPerSecond, ofLimitPercent: (100 * startsPerSecond) / ratePerSecond, ...cost };
  } finally {
    client.disconnect();
  }
}

export const LIGHT_TENANTS = 1_000;

/** Half the jobs from tenant "heavy", the other half round-robin over 1,000 light tenants, interleaved. */
export async function fairDrain(
  redis: BenchRedis,
  queueName: string,
  options: { jobs: number; concurrency: number; onProgress?: (completed: number) => void },
) {
  const { jobs } = options;
  const client = createRedis(redis.url);
  const queue = new Queue({ redis: client, name: queueName });
  try {
    await redis.admin.config("RESETSTAT");
    const cpuBefore = mainThreadCpuSeconds(await redis.info("cpu"));
    await addAll(queue, jobs, (i) => ({
      type: "tenant-work",
      payload: { tenant: i % 2 === 0 ? "heavy" : `t${(i >> 1) % LIGHT_TENANTS}` },
      groupFrom: "/tenant",
    }));
    const started = performance.now();
    const stop = startLoops(redis.url, queueName, 1, options.concurrency, () => undefined);
    await untilCompleted(client, queue, jobs, options.onProgress);
    const seconds = (performance.now() - started) / 1000;
    const cost = await redisCost(redis, cpuBefore, jobs);
    await stop();
    return { jobsPerSecond: jobs / seconds, ...cost };
  } finally {
    client.disconnect();
  }
}

/**
 * The heavy tenant's `backlog` jobs are pending and a drain (concurrency 50) has
 * started `warmStarts` of them when the light tenant submits 10. Counts the heavy
 * tenant's starts from just before that submit to the light tenant's tenth start
 * (jobs the loop had already taken count against the light tenant).
 */
export async function fairnessAfterBacklog(
  redis: BenchRedis,
  queueName: string,
  options: { backlog: number; concurrency: number; onProgress?: (text: string) => void },
) {
  const warmStarts = 200;
  const client = createRedis(redis.url);
  const queue = new Queue({ redis: client, name: queueName });
  try {
    await addAll(queue, options.backlog, () => ({
      type: "tenant-work",
      payload: { tenant: "heavy" },
      groupFrom: "/tenant",
    }));
    let heavy = 0;
    let light = 0;
    let heavyAtLastLight = 0;
    let lastLightAt = 0;
    const stop = startLoops(redis.url, queueName, 1, options.concurrency, (payload) => {
      if ((payload as { tenant: string }).tenant === "heavy") heavy++;
      else if (++light === 10) {
        heavyAtLastLight = heavy;
        lastLightAt = performance.now();
      }
    });
    try {
      while (heavy < warmStarts) await pause(1);
      const heavyAtSubmit = heavy;
      const submitted = performance.now();
      await queue.addBulk(
        Array.from({ length: 10 }, () => ({
          type: "tenant-work",
          payload: { tenant: "light" },
          groupFrom: "/tenant",
        })),
      );
      while (light < 10) {
        options.onProgress?.(`${light}/10 light-tenant jobs started, ${heavy} heavy`);
        await pause(1);
      }
      return {
        heavyStartsBeforeLight: heavyAtLastLight - heavyAtSubmit,
        lightWaitMs: lastLightAt - submitted,
        heavyPendingAtSubmit: options.backlog - heavyAtSubmit,
      };
    } finally {
      await stop();
    }
  } finally {
    client.disconnect();
  }
}
