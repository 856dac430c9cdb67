/**
 * The per-queue values published to CloudWatch (names from the shared contract):
 * Backlog, BacklogPerWorker, ProcessingJobs, OldestPendingAgeSeconds, DeadLettered
 * and HealthyWorkers, as MetricDatum lists with the queue dimension.
 */
import type { MetricDatum, StandardUnit } from "@aws-sdk/client-cloudwatch";
import {
  backlogPerWorker,
  listWorkers,
  METRIC_NAMES,
  METRIC_QUEUE_DIMENSION,
  type MetricName,
  type RedisClient,
} from "@rqueue/shared";
import type { QueueRegistry } from "../queues/queue-registry.js";

export type QueueMetricValues = { queue: string } & Record<MetricName, number>;

export async function collectQueueMetrics(
  redis: RedisClient,
  queues: QueueRegistry,
  now = Date.now(),
): Promise<QueueMetricValues[]> {
  const [names, workers] = await Promise.all([queues.names(), listWorkers(redis, { now })]);
  const healthy = workers.filter((worker) => worker.status === "healthy");
  return Promise.all(
    names.map(async (queue) => {
      const gauges = await queues.get(queue).gauges();
      const serving = healthy.filter((worker) => worker.queues.includes(queue)).length;
      return {
        queue,
        [METRIC_NAMES.backlog]: gauges.backlog,
        [METRIC_NAMES.backlogPerWorker]: backlogPerWorker(gauges.backlog, serving),
        [METRIC_NAMES.processingJobs]: gauges.counts.processing,
        [METRIC_NAMES.oldestPendingAgeSeconds]: gauges.oldestPendingAgeSeconds,
        [METRIC_NAMES.deadLettered]: gauges.counts.failed,
        [METRIC_NAMES.healthyWorkers]: serving,
      } as QueueMetricValues;
    }),
  );
}

const UNITS: Record<MetricName, StandardUnit> = {
  [METRIC_NAMES.backlog]: "Count",
  [METRIC_NAMES.backlogPerWorker]: "Count",
  [METRIC_NAMES.processingJobs]: "Count",
  [METRIC_NAMES.oldestPendingAgeSeconds]: "Seconds",
  [METRIC_NAMES.deadLettered]: "Count",
  [METRIC_NAMES.healthyWorkers]: "Count",
};

export function toMetricData(values: readonly QueueMetricValues[], timestamp: Date): MetricDatum[] {
  return values.flatMap((entry) =>
    Object.values(METRIC_NAMES).map((name) => ({
      MetricName: name,
      Dimensions: [{ Name: METRIC_QUEUE_DIMENSION, Value: entry.queue }],
      Timestamp: timestamp,
      Value: entry[name],
      Unit: UNITS[name],
    })),
  );
}
