/**
 * The per-queue values published to CloudWatch (names from the shared contract):
 * Backlog, ProcessingJobs, JobRunSeconds, OldestPendingAgeSeconds, DeadLettered and
 * HealthyWorkers, for every configured queue from the first tick (zeros before its
 * first job, so alarms never start on missing data) plus every queue that has jobs.
 */
import type { MetricDatum, StandardUnit } from "@aws-sdk/client-cloudwatch";
import {
  listWorkers,
  METRIC_NAMES,
  METRIC_QUEUE_DIMENSION,
  type MetricName,
  type QueueLoad,
  queueLoadOf,
  type RedisClient,
  RUN_TIME_WINDOW_MINUTES,
} from "@rqueue/shared";
import type { QueueRegistry } from "../queues/queue-registry.js";

export interface QueueMetricValues {
  queue: string;
  values: Record<MetricName, number | null>;
  /** What the scaling policy reads for this queue. */
  load: QueueLoad;
}

export async function collectQueueMetrics(
  redis: RedisClient,
  registry: QueueRegistry,
  configured: readonly string[],
  now = Date.now(),
): Promise<QueueMetricValues[]> {
  const [registered, workers] = await Promise.all([registry.names(), listWorkers(redis)]);
  const names = [...new Set([...configured, ...registered])].sort();
  const healthy = workers.filter((worker) => worker.status === "healthy");
  return Promise.all(
    names.map(async (queue) => {
      const handle = registry.get(queue);
      const [gauges, stats] = await Promise.all([
        handle.gauges(),
        handle.stats(RUN_TIME_WINDOW_MINUTES, now),
      ]);
      const load = queueLoadOf(gauges, stats);
      return {
        queue,
        load,
        values: {
          [METRIC_NAMES.backlog]: gauges.backlog,
          [METRIC_NAMES.processingJobs]: gauges.counts.processing,
          [METRIC_NAMES.jobRunSeconds]: load.jobSeconds,
          [METRIC_NAMES.oldestPendingAgeSeconds]: gauges.oldestPendingAgeSeconds,
          [METRIC_NAMES.deadLettered]: gauges.counts.failed,
          [METRIC_NAMES.healthyWorkers]: healthy.filter((worker) => worker.queues.includes(queue)).length,
        },
      };
    }),
  );
}

const UNITS: Record<MetricName, StandardUnit> = {
  [METRIC_NAMES.backlog]: "Count",
  [METRIC_NAMES.processingJobs]: "Count",
  [METRIC_NAMES.jobRunSeconds]: "Seconds",
  [METRIC_NAMES.oldestPendingAgeSeconds]: "Seconds",
  [METRIC_NAMES.deadLettered]: "Count",
  [METRIC_NAMES.healthyWorkers]: "Count",
};

/** One datum per metric and queue; a value that is not known (null) is left out, never sent as 0. */
export function queueMetricData(entries: readonly QueueMetricValues[], timestamp: Date): MetricDatum[] {
  return entries.flatMap((entry) =>
    Object.values(METRIC_NAMES).flatMap((name) => {
      const value = entry.values[name];
      if (value === null) return [];
      return [
        {
          MetricName: name,
          Dimensions: [{ Name: METRIC_QUEUE_DIMENSION, Value: entry.queue }],
          Timestamp: timestamp,
          Value: value,
          Unit: UNITS[name],
        },
      ];
    }),
  );
}
