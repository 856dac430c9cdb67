/**
 * Reads a queue's lifetime latency histograms (the `hist` hash stats.lua keeps):
 * per job type, wait and run time counts per log-scale bucket and the sum of the
 * durations. They never reset and are current to the last script call, so
 * Prometheus can scrape them as true cumulative histograms from any replica.
 * One HGETALL: O(types × buckets), independent of the number of jobs.
 */
import { queueKeys } from "../keys.js";
import type { RedisClient } from "../redis/connection.js";
import { bucketUpperBoundMs } from "./read-stats.js";

export interface LifetimeHistogram {
  /** Bucket upper bound in ms → count. */
  buckets: Map<number, number>;
  count: number;
  sumMs: number;
}

export interface TypeHistograms {
  type: string;
  wait: LifetimeHistogram;
  run: LifetimeHistogram;
}

const FIELD = /^([wr])(\d+|s):(.+)$/s;

const emptyHistogram = (): LifetimeHistogram => ({ buckets: new Map(), count: 0, sumMs: 0 });

/** Decodes the hash's fields (`w<bucket>:<type>`, `ws:<type>`, ...); unknown fields are skipped. */
export function decodeHistograms(fields: Record<string, string>): TypeHistograms[] {
  const byType = new Map<string, TypeHistograms>();
  for (const [field, text] of Object.entries(fields)) {
    const match = FIELD.exec(field);
    if (!match) continue;
    const [, kind, bucket, type] = match as unknown as [string, "w" | "r", string, string];
    let entry = byType.get(type);
    if (!entry) {
      entry = { type, wait: emptyHistogram(), run: emptyHistogram() };
      byType.set(type, entry);
    }
    const histogram = kind === "w" ? entry.wait : entry.run;
    const n = Number(text);
    if (bucket === "s") {
      histogram.sumMs += n;
      continue;
    }
    const bound = bucketUpperBoundMs(Number(bucket));
    histogram.buckets.set(bound, (histogram.buckets.get(bound) ?? 0) + n);
    histogram.count += n;
  }
  return [...byType.values()].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
}

/** The lifetime histograms of every job type that has been started in the queue. */
export async function readQueueHistograms(redis: RedisClient, queue: string): Promise<TypeHistograms[]> {
  return decodeHistograms(await redis.hgetall(queueKeys(queue).histograms));
}
