/**
 * Everything one publishing tick sends: the per-queue figures and, for the worker
 * service, the scaling decision with the task counts it was made from.
 */
import type { MetricDatum } from "@aws-sdk/client-cloudwatch";
import { METRIC_NAMES, type RedisClient } from "@rqueue/shared";
import type { Logger } from "../logging/logger.js";
import type { QueueRegistry } from "../queues/queue-registry.js";
import { collectQueueMetrics, queueMetricData } from "./queue-metrics.js";
import { type ScalingSignal, scalingMetricData } from "./scaling-signal.js";

export interface CloudMetricsSources {
  redis: RedisClient;
  registry: QueueRegistry;
  /** Queues the workers serve: published from startup, and the ones scaling reads. */
  configuredQueues: readonly string[];
  signal: ScalingSignal;
  log: Logger;
}

export async function collectCloudMetrics(
  sources: CloudMetricsSources,
  timestamp: Date,
): Promise<MetricDatum[]> {
  const now = timestamp.getTime();
  const perQueue = await collectQueueMetrics(sources.redis, sources.registry, sources.configuredQueues, now);
  const serving = perQueue
    .filter((entry) => sources.configuredQueues.includes(entry.queue))
    .map((entry) => entry.values[METRIC_NAMES.healthyWorkers] ?? 0);
  const sample = await sources.signal.sample(
    new Map(perQueue.map((entry) => [entry.queue, entry.load])),
    Math.max(0, ...serving),
    now,
  );
  if (sample) sources.log.debug({ ...sample }, "scaling decision");
  else sources.log.warn("ECS task counts unknown: the scaling decision is not published this tick");
  return [...queueMetricData(perQueue, timestamp), ...(sample ? scalingMetricData(sample, timestamp) : [])];
}
