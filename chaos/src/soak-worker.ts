/**
 * A soak worker process: the engine's ConsumeLoop on one queue, running the soak's
 * mix (jobs that work a few ms; 10 % that throw on every attempt and so retry, then
 * dead-letter). It uses the queue's retention from SOAK_KEEP_COMPLETED /
 * SOAK_KEEP_FAILED / SOAK_EVENTS_MAX_LEN (defaults when unset): the worker image
 * has no retention setting, and the 60 s soak needs small caps to reach its plateau.
 * Every second it prints one JSON line: its RSS and event-loop delay p99.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import { ConsumeLoop, Consumer, createRedis, type QueueSettingsInput } from "@rqueue/shared";

const env = process.env;
const number = (name: string) => (env[name] ? Number(env[name]) : undefined);
const retention = {
  ...(number("SOAK_KEEP_COMPLETED") !== undefined ? { keepCompleted: number("SOAK_KEEP_COMPLETED") } : {}),
  ...(number("SOAK_KEEP_FAILED") !== undefined ? { keepFailed: number("SOAK_KEEP_FAILED") } : {}),
};
const eventsMaxLen = number("SOAK_EVENTS_MAX_LEN");
const settings: QueueSettingsInput = {
  ...(Object.keys(retention).length ? { retention } : {}),
  ...(eventsMaxLen !== undefined ? { eventsMaxLen } : {}),
};

const redis = createRedis(env.REDIS_URL ?? "redis://127.0.0.1:6379");
redis.on("error", () => {});
const loop = new ConsumeLoop({
  consumer: new Consumer({
    redis,
    queue: env.SOAK_QUEUE ?? "soak",
    workerId: `soak-${process.pid}`,
    settings,
  }),
  concurrency: 50,
  maintainEveryMs: 1_000,
  handler: async (job) => {
    const payload = job.payload as { ms?: number; fail?: boolean };
    if (payload.ms) await delay(payload.ms);
    if (payload.fail) throw new Error("soak: planned failure (retried, then dead-lettered)");
    return { ok: true };
  },
});
loop.start();

const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
const report = setInterval(() => {
  process.stdout.write(
    `${JSON.stringify({ rss: process.memoryUsage.rss(), lagP99Ms: lag.percentile(99) / 1e6 })}\n`,
  );
  lag.reset();
}, 1_000);

process.once("SIGTERM", () => {
  clearInterval(report);
  void loop.stop(2_000).finally(() => {
    redis.disconnect();
    process.exit(0);
  });
});
