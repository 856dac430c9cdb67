/**
 * Response schemas of the endpoints the dashboard added (bulk operations, stats
 * history, dead-letter groups), for the OpenAPI document, with compile-time checks
 * that they keep the contract's fields.
 */
import type { DeadLetterGroup, Operation, StatsPoint } from "@rqueue/shared";
import * as v from "valibot";

const isoTime = v.pipe(v.string(), v.isoTimestamp());
const percentiles = v.object({
  p50: v.nullable(v.number()),
  p95: v.nullable(v.number()),
  p99: v.nullable(v.number()),
});

export const OperationSchema = v.object({
  id: v.string(),
  action: v.picklist(["retry", "cancel", "delete"]),
  filter: v.object({
    queue: v.string(),
    state: v.string(),
    type: v.optional(v.string()),
    priority: v.optional(v.number()),
  }),
  status: v.picklist(["running", "completed", "canceled", "failed", "interrupted"]),
  estimated: v.pipe(v.number(), v.description("jobs the filter held at the start")),
  examined: v.number(),
  applied: v.number(),
  skipped: v.pipe(v.number(), v.description("jobs that had moved on and could not take the action")),
  createdBy: v.string(),
  createdAt: isoTime,
  updatedAt: isoTime,
  finishedAt: v.nullable(isoTime),
  error: v.nullable(v.string()),
});

export const StatsPointSchema = v.object({
  at: v.pipe(v.number(), v.description("start of the minute or hour, epoch ms")),
  completed: v.number(),
  failed: v.number(),
  backlog: v.nullable(v.number()),
  processing: v.nullable(v.number()),
  waitMs: percentiles,
  runMs: percentiles,
});

export const DeadLetterGroupSchema = v.object({
  type: v.string(),
  message: v.string(),
  reason: v.nullable(v.string()),
  count: v.number(),
  firstSeen: isoTime,
  lastSeen: isoTime,
  jobIds: v.array(v.string()),
});

type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never]
  ? true
  : false;
// Fail to compile when the contract's types gain or lose a field the document does not describe.
export const OPERATION_SCHEMA_MATCHES: SameKeys<v.InferOutput<typeof OperationSchema>, Operation> = true;
export const STATS_POINT_SCHEMA_MATCHES: SameKeys<v.InferOutput<typeof StatsPointSchema>, StatsPoint> = true;
export const DEAD_LETTER_GROUP_SCHEMA_MATCHES: SameKeys<
  v.InferOutput<typeof DeadLetterGroupSchema>,
  DeadLetterGroup
> = true;
