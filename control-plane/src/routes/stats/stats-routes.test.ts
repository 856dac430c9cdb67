import { queueKeys, type StatsHistory } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { StatsRollupLoop } from "../../maintenance/stats-rollup-loop.js";
import { completeJobs } from "../../testing/fail-jobs.js";
import { createTestApp, type TestApp, uniqueQueue } from "../../testing/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
});
afterAll(() => t.close());

const history = async (window: string, queue: string) =>
  (await (await t.request(`/v1/stats/history?window=${window}&queue=${queue}`)).json()) as StatsHistory;

const redisMinute = async () => {
  const [seconds] = await t.redis.time();
  return Math.floor(Number(seconds) / 60);
};

describe("stats history", () => {
  it("shows the current minute live, with the sampled backlog, before anything is sealed", async () => {
    const queue = uniqueQueue("stats-live");
    const jobs = Array.from({ length: 8 }, () => ({ type: "a", queue }));
    await t.request("/v1/jobs/batch", { method: "POST", json: { jobs } });
    await completeJobs(t.redis, queue, 5);
    const loop = new StatsRollupLoop(t.redis, t.services.queues, t.services.breaker, t.services.log, 0);
    expect(await loop.runOnce()).toBe(true);

    const body = await history("15m", queue);
    expect(body).toMatchObject({ window: "15m", stepSeconds: 60 });
    expect(body.points).toHaveLength(15);
    const last = body.points.at(-1);
    expect(last).toMatchObject({ completed: 5, failed: 0, backlog: 3, processing: 0 });
    expect(last?.waitMs.p50).not.toBeNull();
    expect(body.points.slice(0, -2).every((point) => point.completed === 0 && point.backlog === null)).toBe(
      true,
    );
  });

  it("seals finished minutes into the 24 h history and hours into the 30-day history", async () => {
    const queue = uniqueQueue("stats-seal");
    await t.request("/v1/jobs", { method: "POST", json: { type: "a", queue } });
    const keys = queueKeys(queue);
    const minute = (await redisMinute()) - 2;
    // What the scripts' flush_stats writes for a minute: per-second counts, latency buckets.
    await t.redis.hset(keys.throughput(minute), {
      [`c:${minute * 60 + 1}`]: 40,
      [`c:${minute * 60 + 2}`]: 2,
      [`f:${minute * 60 + 3}`]: 3,
    });
    await t.redis.hset(keys.latency(minute), { w4: 40, w40: 5, r8: 45 });
    const loop = new StatsRollupLoop(t.redis, t.services.queues, t.services.breaker, t.services.log, 0);
    await loop.runOnce();
    await loop.runOnce(); // idempotent: nothing is counted twice

    const day = await history("24h", queue);
    expect(day.points).toHaveLength(1440);
    const sealed = day.points.find((point) => point.at === minute * 60_000);
    // Bucket 4 is ≤ 1 ms, 40 is ≤ 1023 ms, 8 is ≤ 3 ms; p50 falls in bucket 4, p99 in 40.
    expect(sealed).toMatchObject({ completed: 42, failed: 3, waitMs: { p50: 1, p95: 1023, p99: 1023 } });
    expect(sealed?.runMs).toEqual({ p50: 3, p95: 3, p99: 3 });
    const sealedMinute = await t.redis.hget(`${keys.prefix}rollup`, "m");
    expect(Number(sealedMinute)).toBeGreaterThanOrEqual(minute);

    const month = await history("30d", queue);
    expect(month).toMatchObject({ stepSeconds: 3600 });
    expect(month.points).toHaveLength(720);
    const hour = month.points.find((point) => point.at === Math.floor(minute / 60) * 3_600_000);
    expect(hour).toMatchObject({ completed: 42, failed: 3, waitMs: { p50: 1 } });
  });

  it("rejects an unknown window", async () => {
    const response = await t.request("/v1/stats/history?window=2y");
    expect(response.status).toBe(422);
  });
});
