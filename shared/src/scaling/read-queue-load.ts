/**
 * Reads what the scaling policy needs about one queue through the Queue API: backlog
 * and running jobs from its gauges, and the mean run time of its recent jobs from the
 * run-time histograms the engine keeps per minute (see queue/read-stats.ts).
 */
import type { Queue } from "../queue/queue.js";
import type { QueueGauges } from "../queue/read-gauges.js";
import type { QueueStats } from "../queue/read-stats.js";
import type { QueueLoad } from "./scaling-policy.js";

/** Minutes of run-time history the rate is measured over (the current one included). */
export const RUN_TIME_WINDOW_MINUTES = 3;

/** Histogram buckets are 2^(1/4) wide (stats.lua): bucket b holds (2^((b-1)/4) - 1, 2^(b/4) - 1] ms. */
const BUCKET_RATIO = 2 ** 0.25;

/**
 * Mean of a run-time histogram (bucket upper bound in ms → count), in seconds, taking
 * each bucket at its midpoint; null when it holds no samples.
 */
export function meanSecondsOf(histogram: ReadonlyMap<number, number>): number | null {
  let count = 0;
  let totalMs = 0;
  for (const [upperMs, n] of histogram) {
    const lowerMs = Math.max(0, (upperMs + 1) / BUCKET_RATIO - 1);
    count += n;
    totalMs += n * ((lowerMs + upperMs) / 2);
  }
  return count === 0 ? null : totalMs / count / 1000;
}

export function queueLoadOf(gauges: QueueGauges, stats: Pick<QueueStats, "histograms">): QueueLoad {
  return {
    backlog: gauges.backlog,
    processing: gauges.counts.processing,
    jobSeconds: meanSecondsOf(stats.histograms.run),
  };
}

export async function readQueueLoad(queue: Queue, nowMs = Date.now()): Promise<QueueLoad> {
  const [gauges, stats] = await Promise.all([queue.gauges(), queue.stats(RUN_TIME_WINDOW_MINUTES, nowMs)]);
  return queueLoadOf(gauges, stats);
}
