/**
 * The CloudWatch contract between the control plane (which publishes) and the
 * infrastructure (which scales and alarms on it). Both import these names, so a
 * rename cannot make autoscaling silently stop firing.
 */
export const METRIC_NAMESPACE = "RQueue";

/** Dimension that carries the queue name on every per-queue metric. */
export const METRIC_QUEUE_DIMENSION = "Queue";

/** Dimension that carries the worker service's name on the scaling metrics. */
export const METRIC_SERVICE_DIMENSION = "Service";

/** Per queue, published for every configured queue from startup (zeros before the first job). */
export const METRIC_NAMES = {
  /** Pending plus due scheduled jobs: work that could start right now. */
  backlog: "Backlog",
  processingJobs: "ProcessingJobs",
  /** Mean run time of the queue's recent jobs (absent before any finished). */
  jobRunSeconds: "JobRunSeconds",
  oldestPendingAgeSeconds: "OldestPendingAgeSeconds",
  deadLettered: "DeadLettered",
  healthyWorkers: "HealthyWorkers",
} as const;

export type MetricName = (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];

/** Per worker service: the scaling decision and the figures it was made from. */
export const SCALING_METRIC_NAMES = {
  /** What the time-based scaling policy decided; ECS sets the service's count to it. */
  desiredWorkers: "DesiredWorkers",
  /** The service's desired task count when the decision was made (ECS), or its healthy workers. */
  workerTasks: "WorkerTasks",
  /** Worker tasks ECS reports running. */
  runningWorkerTasks: "RunningWorkerTasks",
} as const;

/**
 * Per queue, published while the control plane has an archive: the age of the
 * oldest events-stream entry not yet archived. The infra alarms on it.
 */
export const ARCHIVE_METRIC_NAMES = { archiveLagSeconds: "ArchiveLagSeconds" } as const;

export type ScalingMetricName = (typeof SCALING_METRIC_NAMES)[keyof typeof SCALING_METRIC_NAMES];
