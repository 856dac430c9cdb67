/**
 * Valibot schemas of the API's own request bodies and queries (beyond job input):
 * bulk operations by filter, replay edits, stats history windows. The control
 * plane validates with them, the dashboard's forms check with them, and the
 * OpenAPI document is generated from them.
 */
import * as v from "valibot";
import { integerIn } from "../schemas/integer-in.js";
import { JobTypeSchema, jsonValueSchema, PrioritySchema, QueueNameSchema } from "../schemas/job-input.js";
import { JobStateSchema } from "../schemas/job-state.js";
import { LIMITS } from "../schemas/limits.js";

export const OPERATION_ACTIONS = ["retry", "cancel", "delete"] as const;
export type OperationAction = (typeof OPERATION_ACTIONS)[number];

/** Which jobs a bulk operation touches: every job of one queue in one state (and type, priority). */
export const JobFilterSchema = v.strictObject({
  queue: QueueNameSchema,
  state: JobStateSchema,
  type: v.optional(JobTypeSchema),
  priority: v.optional(PrioritySchema),
});
export type JobFilter = v.InferOutput<typeof JobFilterSchema>;

export const OperationInputSchema = v.strictObject({
  action: v.picklist(OPERATION_ACTIONS, `must be one of ${OPERATION_ACTIONS.join(", ")}`),
  filter: JobFilterSchema,
});
export type OperationInput = v.InferOutput<typeof OperationInputSchema>;

/** Edits for a replay: whatever is left out is copied from the original job. */
export const ReplayInputSchema = v.strictObject({
  payload: v.optional(jsonValueSchema(LIMITS.payloadBytes)),
  priority: v.optional(PrioritySchema),
  maxAttempts: v.optional(integerIn(1, 100)),
  delayMs: v.optional(integerIn(0, LIMITS.maxDelayMs)),
});
export type ReplayInput = v.InferInput<typeof ReplayInputSchema>;

/** Charted windows: 15 min and 1 h at one point per minute, 24 h too, 30 days at one per hour. */
export const STATS_WINDOWS = ["15m", "1h", "24h", "30d"] as const;
export type StatsWindow = (typeof STATS_WINDOWS)[number];
export const StatsHistoryQuerySchema = v.strictObject({
  window: v.optional(v.picklist(STATS_WINDOWS, `must be one of ${STATS_WINDOWS.join(", ")}`), "1h"),
  queue: v.optional(QueueNameSchema),
});

/** A timed load from the dashboard: N jobs of `noop` or `cpu`, added in batches. */
export const BENCHMARK_TYPES = ["noop", "cpu"] as const;
export const BenchmarkInputSchema = v.strictObject({
  queue: v.optional(QueueNameSchema, "default"),
  type: v.picklist(BENCHMARK_TYPES, `must be one of ${BENCHMARK_TYPES.join(", ")}`),
  jobs: integerIn(100, 200_000),
  batchSize: v.optional(integerIn(10, LIMITS.batchJobs), 500),
  /** SHA-256 rounds per `cpu` job. */
  cpuRounds: v.optional(integerIn(1, 1_000_000), 2_000),
});
export type BenchmarkInput = v.InferInput<typeof BenchmarkInputSchema>;
