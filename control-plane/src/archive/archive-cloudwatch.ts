/**
 * The archive's lag as CloudWatch datums (ArchiveLagSeconds per queue), published
 * with the queue metrics by the replica holding the CloudWatch lease; the infra
 * alarms when a queue's archive falls minutes behind.
 */
import type { MetricDatum } from "@aws-sdk/client-cloudwatch";
import { ARCHIVE_METRIC_NAMES, METRIC_QUEUE_DIMENSION } from "@rqueue/shared";
import type { ArchiveService } from "./archive-service.js";

export async function archiveLagDatums(
  archive: ArchiveService,
  queues: readonly string[],
  timestamp: Date,
): Promise<MetricDatum[]> {
  const lags = await Promise.all(queues.map((queue) => archive.lag(queue)));
  return lags.map((lag) => ({
    MetricName: ARCHIVE_METRIC_NAMES.archiveLagSeconds,
    Dimensions: [{ Name: METRIC_QUEUE_DIMENSION, Value: lag.queue }],
    Timestamp: timestamp,
    Unit: "Seconds",
    Value: lag.seconds,
  }));
}
