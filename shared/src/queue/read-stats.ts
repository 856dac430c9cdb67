/**
 * Reads the statistics the scripts keep (see scripts/includes/stats.lua):
 * per-second throughput for charts, wait/run time percentiles from log-scale
 * histograms, and lifetime counters. Bounded reads: at most one key per minute.
 */
import type { QueueContext } from "./queue-context.js";

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
  counters: { added: number; completed: number; failed: number; retried: number; canceled: number };
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
    },
    throughput: [...perSecond.values()],
    waitMs: summarizeLatency(wait),
    runMs: summarizeLatency(run),
    histograms: { wait, run },
  };
}
