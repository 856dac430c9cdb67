/**
 * @rqueue/shared/contract — the browser-safe half of the contract: schemas,
 * states, limits, error codes, metric names, job ids and the API's wire types.
 * It imports neither ioredis nor any Node built-in (contract.test.ts bundles it
 * for the browser and fails on either), so the dashboard and any HTTP client can
 * use it. Engine types are re-exported as types only: they vanish at compile time.
 */
export * from "./api/api-schemas.js";
export type * from "./api/api-types.js";
export type {
  CircuitBreakerConfig,
  CircuitBreakerState,
  CircuitBreakerStatus,
} from "./circuit-breaker/circuit-breaker.js";
export * from "./errors.js";
export type { AttemptError, Job, JobProgress } from "./job.js";
export { formatJobId, type ParsedJobId, parseJobId } from "./job-id.js";
export * from "./metrics.js";
export type { JobLogEntry } from "./queue/job-logs.js";
export type { JobCounts, JobPage, StateCounts } from "./queue/list-jobs.js";
export type { QueueGauges } from "./queue/read-gauges.js";
export type { GraphNode, JobGraph } from "./queue/read-job.js";
export type { LatencySummary } from "./queue/read-stats.js";
export type { ScheduleCounters, SchedulePage } from "./schedules/queue-schedules.js";
export type { Schedule, ScheduleRun, ScheduleStatus } from "./schedules/schedule-view.js";
export * from "./schemas/flow-limits.js";
export * from "./schemas/job-input.js";
export * from "./schemas/job-state.js";
export * from "./schemas/json-value.js";
export * from "./schemas/limits.js";
export * from "./schemas/schedule-input.js";
export type { RegisteredType, RegisteredTypeWithWorkers, TypeDefaults } from "./workers/type-registry.js";
export type { WorkerEntry, WorkerSnapshot, WorkerStatus } from "./workers/worker-registry.js";
