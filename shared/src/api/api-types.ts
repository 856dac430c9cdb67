/**
 * The shapes the HTTP API answers with, beyond the engine's own types (Job,
 * JobPage, QueueGauges, WorkerEntry, ...). The control plane builds them and the
 * typed client and the dashboard read them, so neither side can drift.
 */
import type { CircuitBreakerStatus } from "../circuit-breaker/circuit-breaker.js";
import type { Job } from "../job.js";
import type { JobLogEntry } from "../queue/job-logs.js";
import type { StateCounts } from "../queue/list-jobs.js";
import type { QueueGauges } from "../queue/read-gauges.js";
import type { LatencySummary } from "../queue/read-stats.js";
import type { FlowState } from "../schemas/flow-limits.js";
import type { RegisteredTypeWithWorkers } from "../workers/type-registry.js";
import type { WorkerEntry } from "../workers/worker-registry.js";
import type { JobFilter, OperationAction, StatsWindow } from "./api-schemas.js";

export type {
  BenchmarkInput,
  JobFilter,
  OperationAction,
  OperationInput,
  ReplayInput,
  StatsWindow,
} from "./api-schemas.js";

export type ApiRole = "read" | "submit" | "admin";

/** GET /v1/session: who the caller is, so a client can hide what its role may not do. */
export interface SessionInfo {
  name: string;
  role: ApiRole;
  /** True when the server runs without API keys (everyone is admin). */
  open: boolean;
}

/** The ECS service's task counts, when the control plane reads them. */
export interface EcsTaskCounts {
  cluster: string;
  service: string;
  runningCount: number;
  desiredCount: number;
  pendingCount: number;
  fetchedAt: string;
  /** True when the latest read failed and these counts are older. */
  stale: boolean;
}

/** GET /v1/metrics: the dashboard snapshot. */
export interface MetricsSnapshot {
  generatedAt: string;
  queues: Record<
    string,
    Pick<
      QueueGauges,
      "paused" | "counts" | "backlog" | "dueScheduled" | "oldestPendingAgeSeconds" | "bytes" | "maxBytes"
    >
  >;
  counts: StateCounts;
  backlog: number;
  oldestPendingAgeSeconds: number;
  /** Completed and dead-lettered jobs per second, oldest first, one value per second from `from`. */
  throughput: { from: string; stepSeconds: 1; completed: number[]; failed: number[] };
  waitMs: LatencySummary;
  runMs: LatencySummary;
  workers: { healthy: number; stale: number; total: number; activeJobs: number };
  /** The time-based scaling policy over these queues: workers that drain the work within the target. */
  scaling: { desiredWorkers: number; drainWorkers: number; targetDrainSeconds: number };
  ecs: EcsTaskCounts | null;
  /** The durable archive's lag behind the events streams; absent or null without an archive. */
  archive?: ArchiveStatus | null;
}

/** The archive of finished jobs (PostgreSQL): how far it is behind Redis. */
export interface ArchiveStatus {
  database: "postgres" | "pglite";
  /** Events stream entries not yet archived, over every queue. */
  lagEntries: number;
  /** Age of the oldest entry not yet archived, over every queue. */
  lagSeconds: number;
  queues: Record<string, { lagEntries: number; lagSeconds: number }>;
  /** This replica's archiver since it started; null when it does not run one. */
  archiver: { archived: number; gone: number; lostEntries: number; rejected: number } | null;
}

export interface QueueOverview extends QueueGauges {
  breakers: CircuitBreakerStatus[];
}

/** GET /v1/queues */
export interface QueuesResponse {
  queues: QueueOverview[];
}

/** GET /v1/workers */
export interface WorkersResponse {
  workers: WorkerEntry[];
  summary: { total: number; healthy: number; stale: number; activeJobs: number };
}

/** One job type registered on one queue, with its jobs per state. */
export interface JobTypeEntry extends RegisteredTypeWithWorkers {
  queue: string;
  counts: StateCounts;
}

/** GET /v1/types */
export interface TypesResponse {
  types: JobTypeEntry[];
}

/** GET and PUT /v1/queues/:queue/settings */
export interface QueueSettingsResponse {
  name: string;
  requireRegisteredType: boolean;
}

/** GET /v1/queues/:queue/flow, and every change of a flow rule. */
export interface QueueFlowResponse extends FlowState {
  name: string;
}

/** PUT and DELETE /v1/queues/:queue/flow/types/:type/groups/:group/weight */
export interface GroupWeightResponse {
  name: string;
  type: string;
  group: string;
  /** The weight in force (1 after a reset). */
  weight: number;
}

/** GET /v1/jobs/:id/logs */
export interface JobLogsResponse {
  id: string;
  lines: JobLogEntry[];
  /** Lines kept now (the latest 200 at most). */
  total: number;
  /** Offset of the next page; null after the last line. */
  nextOffset: number | null;
}

export interface DeadLetterRetryResponse {
  queue: string;
  type: string | null;
  retried: number;
}

export interface DeadLetterPurgeResponse {
  queue: string;
  type: string | null;
  deleted: number;
}

/** Failed jobs of one type that failed with the same message. */
export interface DeadLetterGroup {
  type: string;
  message: string;
  /** `error`, `unrecoverable`, `lease-expired`, `timeout`, `dependency-failed`. */
  reason: string | null;
  count: number;
  firstSeen: string;
  lastSeen: string;
  /** Up to 50 of its jobs, newest first. */
  jobIds: string[];
}

/** GET /v1/dead-letter/groups: the newest failed jobs grouped; `examined` says how many were read. */
export interface DeadLetterGroupsResponse {
  queue: string;
  groups: DeadLetterGroup[];
  examined: number;
  /** Every failed job of the queue, by exact count. */
  totalFailed: number;
  /** False when there are more failed jobs than were examined. */
  complete: boolean;
}

export type OperationStatus = "running" | "completed" | "canceled" | "failed" | "interrupted";

/** A bulk action by filter, run in bounded chunks by the control plane (GET /v1/operations/:id). */
export interface Operation {
  id: string;
  action: OperationAction;
  filter: JobFilter;
  status: OperationStatus;
  /** Jobs the filter held when the operation started (exact without a priority filter). */
  estimated: number;
  /** Jobs read so far. */
  examined: number;
  /** Jobs the action was applied to. */
  applied: number;
  /** Jobs that had moved on and could no longer take the action (e.g. no longer failed). */
  skipped: number;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  error: string | null;
}

export interface LatencyPercentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** One minute or one hour of a queue's (or all queues') history. */
export interface StatsPoint {
  /** Start of the period, epoch ms. */
  at: number;
  completed: number;
  failed: number;
  /** Highest backlog sampled in the period; null when no sample was taken. */
  backlog: number | null;
  processing: number | null;
  waitMs: LatencyPercentiles;
  runMs: LatencyPercentiles;
}

/** GET /v1/stats/history */
export interface StatsHistory {
  window: StatsWindow;
  stepSeconds: 60 | 3600;
  /** Oldest first, one per step, gaps filled with zeros (and null gauges). */
  points: StatsPoint[];
}

export type BenchmarkStatus = "running" | "completed" | "canceled" | "failed" | "interrupted" | "timed-out";

/** One benchmark run (GET /v1/benchmarks/current): progress while it runs, the summary once done. */
export interface BenchmarkRun {
  id: string;
  status: BenchmarkStatus;
  input: { queue: string; type: "noop" | "cpu"; jobs: number; batchSize: number; cpuRounds: number };
  createdBy: string;
  startedAt: string;
  /** When the last batch was added. */
  enqueuedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
  enqueued: number;
  /** Completions and dead-letters in the queue since the start (other traffic counts too). */
  completed: number;
  failed: number;
  /** Jobs per second: adding (until the last batch), draining (start to the last completion). */
  enqueueRate: number;
  drainRate: number;
  /** The queue's wait and run percentiles over the minutes of the run. */
  waitMs: LatencyPercentiles;
  runMs: LatencyPercentiles;
  /** Progress over time, at most 400 samples: ms since the start, enqueued and completed so far. */
  samples: { t: number; enqueued: number; completed: number }[];
  error: string | null;
}

export interface ApiErrorBody {
  error: { code: string; message: string; issues: { path: string; message: string }[] };
}

/** One queue's share of a batch: written (201, `created` jobs), or not, with the error it got. */
export interface BatchQueueResult {
  queue: string;
  status: number;
  created: number;
  error?: ApiErrorBody["error"];
}

/**
 * POST /v1/jobs/batch, 201 (every queue written) or 207 (some were): the jobs in
 * request order, null where the job's queue was not written; and each queue's result.
 */
export interface SubmitBatchResponse {
  jobs: (Job | null)[];
  queues: BatchQueueResult[];
  /** Per job: whether a debounce key took its submission (`replaced`, `dropped`) or not (null). */
  debounced: ("replaced" | "dropped" | null)[];
}
