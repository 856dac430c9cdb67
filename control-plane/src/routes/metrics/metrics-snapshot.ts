/**
 * The dashboard's snapshot in one read: counts per state, per-second throughput for
 * the last 15 minutes, wait/run percentiles, backlog, workers, the scaling policy's
 * desired workers and ECS tasks. Cost depends on the number of queues, types and
 * minutes, never on the number of jobs.
 */
import {
  DEFAULT_SCALING_POLICY,
  listWorkers,
  type MetricsSnapshot,
  type QueueGauges,
  type QueueStats,
  queueLoadOf,
  summarizeLatency,
  workerDemand,
} from "@rqueue/shared";
import type { AppServices } from "../../app/services.js";
import { readArchiveStatus } from "../../archive/archive-status.js";
import type { RequestQueues } from "../../queues/request-queues.js";
import { mergeHistograms } from "./histograms.js";
import { sumCounts } from "./state-counts.js";

export type { MetricsSnapshot };

export const THROUGHPUT_WINDOW_MINUTES = 15;

export async function buildMetricsSnapshot(
  services: AppServices,
  queues: RequestQueues,
  onlyQueue?: string,
  now = Date.now(),
): Promise<MetricsSnapshot> {
  const names = onlyQueue ? [onlyQueue] : await services.queues.names();
  const [perQueue, workers, ecs] = await Promise.all([
    Promise.all(
      names.map(async (name) => {
        const queue = queues.get(name);
        const [gauges, stats] = await Promise.all([queue.gauges(), queue.stats(THROUGHPUT_WINDOW_MINUTES)]);
        return { gauges, stats };
      }),
    ),
    listWorkers(services.redis),
    services.ecs?.read() ?? null,
  ]);
  const relevant = onlyQueue ? workers.filter((w) => w.queues.includes(onlyQueue)) : workers;
  const healthy = relevant.filter((worker) => worker.status === "healthy").length;
  const counts = sumCounts(perQueue.map((q) => q.gauges.counts));
  const backlog = perQueue.reduce((sum, q) => sum + q.gauges.backlog, 0);
  return {
    generatedAt: new Date(now).toISOString(),
    queues: Object.fromEntries(
      perQueue.map(({ gauges }) => [
        gauges.name,
        {
          paused: gauges.paused,
          counts: gauges.counts,
          backlog: gauges.backlog,
          dueScheduled: gauges.dueScheduled,
          oldestPendingAgeSeconds: gauges.oldestPendingAgeSeconds,
          bytes: gauges.bytes,
          maxBytes: gauges.maxBytes,
        },
      ]),
    ),
    counts,
    backlog,
    oldestPendingAgeSeconds: Math.max(0, ...perQueue.map((q) => q.gauges.oldestPendingAgeSeconds)),
    throughput: sumThroughput(
      perQueue.map((q) => q.stats),
      now,
    ),
    waitMs: summarizeLatency(mergeHistograms(perQueue.map((q) => q.stats.histograms.wait))),
    runMs: summarizeLatency(mergeHistograms(perQueue.map((q) => q.stats.histograms.run))),
    workers: {
      healthy,
      stale: relevant.length - healthy,
      total: relevant.length,
      activeJobs: relevant.reduce((sum, worker) => sum + worker.activeJobs, 0),
    },
    scaling: scalingOf(perQueue, relevant),
    ecs,
    archive: services.archive ? await readArchiveStatus(services.archive, names) : null,
  };
}

/** The time-based policy's view of these queues (their run time over the snapshot's window). */
function scalingOf(
  perQueue: { gauges: QueueGauges; stats: QueueStats }[],
  workers: { concurrency: number }[],
): MetricsSnapshot["scaling"] {
  const slots = Math.max(1, ...workers.map((worker) => worker.concurrency));
  const demand = workerDemand(
    DEFAULT_SCALING_POLICY,
    perQueue.map((q) => queueLoadOf(q.gauges, q.stats)),
    slots,
  );
  return {
    desiredWorkers: demand.ideal,
    drainWorkers: demand.drainWorkers,
    targetDrainSeconds: DEFAULT_SCALING_POLICY.targetDrainSeconds,
  };
}

/** Sums the queues' per-second series; all share the same seconds because they share `now`'s window. */
function sumThroughput(stats: QueueStats[], now: number): MetricsSnapshot["throughput"] {
  const currentMinute = Math.floor(now / 60_000);
  const fromMs = (currentMinute - THROUGHPUT_WINDOW_MINUTES + 1) * 60_000;
  const length = Math.floor(now / 1000) - fromMs / 1000 + 1;
  const completed = new Array<number>(length).fill(0);
  const failed = new Array<number>(length).fill(0);
  for (const queueStats of stats) {
    for (const point of queueStats.throughput) {
      const index = (point.at - fromMs) / 1000;
      if (index < 0 || index >= length) continue;
      completed[index] = (completed[index] ?? 0) + point.completed;
      failed[index] = (failed[index] ?? 0) + point.failed;
    }
  }
  return { from: new Date(fromMs).toISOString(), stepSeconds: 1, completed, failed };
}
