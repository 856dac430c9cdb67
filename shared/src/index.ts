/**
 * @rqueue/shared — R-queue's Redis contract and queue engine: schemas, key names,
 * Lua scripts, the producer/admin `Queue`, the `Consumer` and `ConsumeLoop` that
 * workers build on, and the constants the infrastructure shares.
 */
export * from "./api/api-schemas.js";
export type * from "./api/api-types.js";
export * from "./circuit-breaker/circuit-breaker.js";
export * from "./consumer/consume-loop.js";
export * from "./consumer/consumer.js";
export * from "./consumer/leased-job.js";
export * from "./errors.js";
export * from "./job.js";
export * from "./job-id.js";
export * from "./keys.js";
export * from "./metrics.js";
export type { AddedJob, Debounced, SubmittedJob } from "./queue/add-jobs.js";
export * from "./queue/archive-progress.js";
export * from "./queue/benchmark-run.js";
export * from "./queue/bulk-operation.js";
export * from "./queue/idempotency.js";
export * from "./queue/job-logs.js";
export * from "./queue/list-jobs.js";
export * from "./queue/maintain-queue.js";
export * from "./queue/plan-dependencies.js";
export * from "./queue/queue.js";
export * from "./queue/read-dead-letters.js";
export * from "./queue/read-gauges.js";
export * from "./queue/read-histograms.js";
export * from "./queue/read-job.js";
export * from "./queue/read-stats.js";
export * from "./queue/replay-job.js";
export * from "./queue/rollup-stats.js";
export * from "./queue-events.js";
export * from "./queue-list.js";
export * from "./redis/connection.js";
export * from "./redis/key-slot.js";
export * from "./redis/redis-errors.js";
export * from "./redis/request-deadline.js";
export * from "./scaling/read-queue-load.js";
export * from "./scaling/scaling-policy.js";
export {
  type FireOptions,
  type FireTotals,
  fireDueSchedules,
  MIN_IDEMPOTENCY_WINDOW_MS,
  scheduleRunKey,
} from "./schedules/fire-schedules.js";
export * from "./schedules/queue-schedules.js";
export type { Schedule, ScheduleRun, ScheduleStatus } from "./schedules/schedule-view.js";
export * from "./schemas/env-number.js";
export * from "./schemas/flow-limits.js";
export * from "./schemas/job-input.js";
export * from "./schemas/job-state.js";
export * from "./schemas/json-value.js";
export * from "./schemas/limits.js";
export * from "./schemas/schedule-input.js";
export {
  currentLibraryNames,
  type PruneResult,
  pruneLibraries,
  recordLibrariesInUse,
} from "./scripts/library-retention.js";
export { scriptNameOfFunction } from "./scripts/load-scripts.js";
export * from "./settings.js";
export * from "./workers/type-registry.js";
export * from "./workers/worker-registry.js";
