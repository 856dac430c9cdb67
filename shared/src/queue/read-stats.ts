/**
 * Reads the statistics the scripts keep (see scripts/includes/stats.lua):
 * per-second throughput for charts, wait/run time percentiles from log-scale
 * histograms, and lifetime counters. Bounded reads: at most one key per minute.
 * `readStatsHistory` reads the rollups (scripts/rollup-stats.lua): one point per
 * minute for up to 24 h, one per hour for 30 days, at most one key per hour or day.
 */

import type { StatsWindow } from "../api/api-schemas.js";
import type { LatencyPercentiles, StatsHistory, StatsPoint } from "../api/api-types.js";
import { statsRollupKeys } from "../keys.js";
import type { RedisClient } from "../redis/connection.js";
import { resolveSettings } from "../settings.js";
import { createQueueContext, type QueueContext } from "./queue-context.js";

export interface ThroughputPoint {
  /** Start of the second, epoch ms. */
  at: number;
  completed: number;
  failed: number;
}

export interface LatencySummary {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface QueueStats {
  counters: {
    added: number;
    completed: number;
    failed: number;
    retried: number;
    canceled: number;
    /** Outcomes a handler reported as rate limited upstream (no attempt spent; see upstream-limit.lua). */
    limited: number;
  };
  /** One point per second, oldest first, zeros included. */
  throughput: ThroughputPoint[];
  waitMs: LatencySummary;
  runMs: LatencySummary;
  /** Raw histograms: bucket upper bound in ms → count. For Prometheus. */
  histograms: { wait: Map<number, number>; run: Map<number, number> };
}

/** Bucket b holds durations up to 2^(b/4) - 1 ms (see stats.lua). */
export const bucketUpperBoundMs = (bucket: number) => 2 ** (bucket / 4) - 1;

/** Upper-bound percentiles of a histogram (bucket upper bound in ms → count), e.g. merged across queues. */
export function summarizeLatency(histogram: Map<number, number>): LatencySummary {
  const buckets = [...histogram.entries()].sort((a, b) => a[0] - b[0]);
  const count = buckets.reduce((sum, [, n]) => sum + n, 0);
  const percentile = (p: number) => {
    if (count === 0) return null;
    const rank = Math.ceil(p * count);
    let seen = 0;
    for (const [bound, n] of buckets) {
      seen += n;
      if (seen >= rank) return Math.round(bound * 10) / 10;
    }
    return null;
  };
  return { count, p50: percentile(0.5), p95: percentile(0.95), p99: percentile(0.99) };
}

export async function readStats(
  ctx: QueueContext,
  windowMinutes = 15,
  nowMs = Date.now(),
): Promise<QueueStats> {
  const currentMinute = Math.floor(nowMs / 60_000);
  const minutes = Array.from({ length: windowMinutes }, (_, i) => currentMinute - windowMinutes + 1 + i);
  const pipeline = ctx.redis.pipeline();
  pipeline.hgetall(ctx.keys.stats);
  for (const minute of minutes) {
    pipeline.hgetall(ctx.keys.throughput(minute));
    pipeline.hgetall(ctx.keys.latency(minute));
  }
  const replies = (await pipeline.exec()) ?? [];
  const value = (index: number) => {
    const [error, reply] = replies[index] ?? [null, {}];
    if (error) throw error;
    return reply as Record<string, string>;
  };

  const counters = value(0);
  const perSecond = new Map<number, ThroughputPoint>();
  const firstSecond = minutes[0] === undefined ? 0 : minutes[0] * 60;
  const lastSecond = Math.floor(nowMs / 1000);
  for (let second = firstSecond; second <= lastSecond; second++) {
    perSecond.set(second, { at: second * 1000, completed: 0, failed: 0 });
  }
  const wait = new Map<number, number>();
  const run = new Map<number, number>();
  minutes.forEach((_, i) => {
    for (const [field, n] of Object.entries(value(1 + i * 2))) {
      const point = perSecond.get(Number(field.slice(2)));
      if (point) point[field.startsWith("c") ? "completed" : "failed"] += Number(n);
    }
    for (const [field, n] of Object.entries(value(2 + i * 2))) {
      const target = field.startsWith("w") ? wait : run;
      const bound = bucketUpperBoundMs(Number(field.slice(1)));
      target.set(bound, (target.get(bound) ?? 0) + Number(n));
    }
  });
  const counter = (name: string) => Number(counters[name] ?? 0);
  return {
    counters: {
      added: counter("added"),
      completed: counter("completed"),
      failed: counter("failed"),
      retried: counter("retried"),
      canceled: counter("canceled"),
      limited: counter("limited"),
    },
    throughput: [...perSecond.values()],
    waitMs: summarizeLatency(wait),
    runMs: summarizeLatency(run),
    histograms: { wait, run },
  };
}

const WINDOWS: Record<StatsWindow, { points: number; stepSeconds: 60 | 3600 }> = {
  "15m": { points: 15, stepSeconds: 60 },
  "1h": { points: 60, stepSeconds: 60 },
  "24h": { points: 1440, stepSeconds: 60 },
  "30d": { points: 720, stepSeconds: 3600 },
};

const emptyPercentiles = (): LatencyPercentiles => ({ p50: null, p95: null, p99: null });
const emptyPoint = (at: number): StatsPoint => ({
  at,
  completed: 0,
  failed: 0,
  backlog: null,
  processing: null,
  waitMs: emptyPercentiles(),
  runMs: emptyPercentiles(),
});

const numberOrNull = (text: string | undefined) => (text === undefined || text === "" ? null : Number(text));

/** Decodes a sealed point, "c,f,w50,w95,w99,r50,r95,r99,b,p" (see rollup-stats.lua). */
export function decodeStatsPoint(at: number, text: string): StatsPoint {
  const [c, f, w50, w95, w99, r50, r95, r99, b, p] = text.split(",");
  return {
    at,
    completed: Number(c ?? 0),
    failed: Number(f ?? 0),
    backlog: numberOrNull(b),
    processing: numberOrNull(p),
    waitMs: { p50: numberOrNull(w50), p95: numberOrNull(w95), p99: numberOrNull(w99) },
    runMs: { p50: numberOrNull(r50), p95: numberOrNull(r95), p99: numberOrNull(r99) },
  };
}

type Hash = Record<string, string>;

function histogramOf(fields: Hash, kind: "w" | "r"): Map<number, number> {
  const histogram = new Map<number, number>();
  for (const [field, n] of Object.entries(fields)) {
    if (!field.startsWith(kind) || !/^\d+$/.test(field.slice(1))) continue;
    const bound = bucketUpperBoundMs(Number(field.slice(1)));
    histogram.set(bound, (histogram.get(bound) ?? 0) + Number(n));
  }
  return histogram;
}

const percentilesOf = (histogram: Map<number, number>): LatencyPercentiles => {
  const { p50, p95, p99 } = summarizeLatency(histogram);
  return { p50, p95, p99 };
};

/** A minute not sealed yet, from its raw per-second and latency keys. */
function livePoint(at: number, throughput: Hash, latency: Hash, gauges: Hash): StatsPoint {
  const point = emptyPoint(at);
  for (const [field, n] of Object.entries(throughput)) {
    if (field.startsWith("c")) point.completed += Number(n);
    else point.failed += Number(n);
  }
  point.waitMs = percentilesOf(histogramOf(latency, "w"));
  point.runMs = percentilesOf(histogramOf(latency, "r"));
  point.backlog = numberOrNull(gauges.b);
  point.processing = numberOrNull(gauges.p);
  return point;
}

async function execHashes(ctx: QueueContext, keys: string[]): Promise<Hash[]> {
  if (keys.length === 0) return [];
  const pipeline = ctx.redis.pipeline();
  for (const key of keys) pipeline.hgetall(key);
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([error, reply]) => {
    if (error) throw error;
    return (reply ?? {}) as Hash;
  });
}

/** One queue's history over a window, oldest first, one point per step, gaps as zeros. */
export async function readStatsHistory(
  ctx: QueueContext,
  window: StatsWindow,
  nowMs = Date.now(),
): Promise<StatsHistory> {
  const { points, stepSeconds } = WINDOWS[window];
  const keys = statsRollupKeys(ctx.name);
  const sealed = await ctx.redis.hgetall(keys.rollup);
  const stepMs = stepSeconds * 1000;
  const current = Math.floor(nowMs / stepMs);
  const first = current - points + 1;
  const byStep = new Map<number, StatsPoint>();

  if (stepSeconds === 60) {
    const lastSealed = Number(sealed.m ?? 0);
    const hours: number[] = [];
    for (let hour = Math.floor(first / 60); hour <= Math.floor(current / 60); hour++) hours.push(hour);
    // Unsealed minutes still have their raw keys (they live an hour).
    const live: number[] = [];
    for (let minute = Math.max(first, lastSealed + 1, current - 59); minute <= current; minute++)
      live.push(minute);
    const hashes = await execHashes(ctx, [
      ...hours.map(keys.minutes),
      ...live.flatMap((minute) => [
        ctx.keys.throughput(minute),
        ctx.keys.latency(minute),
        keys.gaugeSample(minute),
      ]),
    ]);
    hours.forEach((_, i) => {
      for (const [field, text] of Object.entries(hashes[i] ?? {})) {
        const minute = Number(field);
        if (minute >= first && minute <= current) byStep.set(minute, decodeStatsPoint(minute * stepMs, text));
      }
    });
    live.forEach((minute, i) => {
      const base = hours.length + i * 3;
      byStep.set(
        minute,
        livePoint(minute * stepMs, hashes[base] ?? {}, hashes[base + 1] ?? {}, hashes[base + 2] ?? {}),
      );
    });
  } else {
    const lastSealed = Number(sealed.h ?? 0);
    const days: number[] = [];
    for (let day = Math.floor(first / 24); day <= Math.floor(current / 24); day++) days.push(day);
    // Hours not sealed yet (this one, and any the rollup has not reached): their running sums.
    const live: number[] = [];
    for (let hour = Math.max(first, lastSealed + 1, current - 2); hour <= current; hour++) live.push(hour);
    const hashes = await execHashes(ctx, [...days.map(keys.hours), ...live.map(keys.hourAccumulator)]);
    days.forEach((_, i) => {
      for (const [field, text] of Object.entries(hashes[i] ?? {})) {
        const hour = Number(field);
        if (hour >= first && hour <= current) byStep.set(hour, decodeStatsPoint(hour * stepMs, text));
      }
    });
    live.forEach((hour, i) => {
      const acc = hashes[days.length + i] ?? {};
      if (Object.keys(acc).length === 0) return;
      const point = emptyPoint(hour * stepMs);
      point.completed = Number(acc.c ?? 0);
      point.failed = Number(acc.f ?? 0);
      point.backlog = numberOrNull(acc.b);
      point.processing = numberOrNull(acc.p);
      point.waitMs = percentilesOf(histogramOf(acc, "w"));
      point.runMs = percentilesOf(histogramOf(acc, "r"));
      byStep.set(hour, point);
    });
  }

  const series: StatsPoint[] = [];
  for (let step = first; step <= current; step++) series.push(byStep.get(step) ?? emptyPoint(step * stepMs));
  return { window, stepSeconds, points: series };
}

const maxOrNull = (values: (number | null)[]) => {
  const known = values.filter((value): value is number => value !== null);
  return known.length === 0 ? null : Math.max(...known);
};
const sumOrNull = (values: (number | null)[]) => {
  const known = values.filter((value): value is number => value !== null);
  return known.length === 0 ? null : known.reduce((total, n) => total + n, 0);
};

/**
 * Several queues' histories as one: counts and gauges add up; percentiles cannot
 * be merged, so each is the highest of the queues' (the slowest queue's).
 */
export function mergeStatsHistories(histories: StatsHistory[], window: StatsWindow): StatsHistory {
  const { stepSeconds } = WINDOWS[window];
  const first = histories[0];
  if (!first) return { window, stepSeconds, points: [] };
  const points = first.points.map((point, index) => {
    const all = histories.map((history) => history.points[index] ?? emptyPoint(point.at));
    const merged = (kind: "waitMs" | "runMs"): LatencyPercentiles => ({
      p50: maxOrNull(all.map((p) => p[kind].p50)),
      p95: maxOrNull(all.map((p) => p[kind].p95)),
      p99: maxOrNull(all.map((p) => p[kind].p99)),
    });
    return {
      at: point.at,
      completed: all.reduce((total, p) => total + p.completed, 0),
      failed: all.reduce((total, p) => total + p.failed, 0),
      backlog: sumOrNull(all.map((p) => p.backlog)),
      processing: sumOrNull(all.map((p) => p.processing)),
      waitMs: merged("waitMs"),
      runMs: merged("runMs"),
    };
  });
  return { window, stepSeconds, points };
}

/** `readStatsHistory` for a queue by name. */
export function readQueueStatsHistory(
  redis: RedisClient,
  queue: string,
  window: StatsWindow,
  nowMs = Date.now(),
): Promise<StatsHistory> {
  return readStatsHistory(createQueueContext(redis, queue, resolveSettings()), window, nowMs);
}
