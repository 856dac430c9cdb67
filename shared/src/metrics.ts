/**
 * The CloudWatch contract between the control plane (which publishes) and the
 * infrastructure (which scales and alarms on it). Both import these names, so a
 * rename cannot make autoscaling silently stop firing.
 */
export const METRIC_NAMESPACE = "RQueue";

/** Dimension that carries the queue name on every metric. */
export const METRIC_QUEUE_DIMENSION = "Queue";

export const METRIC_NAMES = {
  /** Pending plus due scheduled jobs: work that could start right now. */
  backlog: "Backlog",
  /** Backlog divided by healthy workers: the target-tracking signal. */
  backlogPerWorker: "BacklogPerWorker",
  processingJobs: "ProcessingJobs",
  oldestPendingAgeSeconds: "OldestPendingAgeSeconds",
  deadLettered: "DeadLettered",
  healthyWorkers: "HealthyWorkers",
} as const;

export type MetricName = (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];
