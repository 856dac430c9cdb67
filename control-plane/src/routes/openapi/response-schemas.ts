/**
 * Valibot schemas of the API's responses, for the OpenAPI document only (the
 * engine's `Job` is a TypeScript interface). A compile-time check keeps the Job
 * schema's fields identical to the engine's `Job`.
 */
import { type Job, JobStateSchema, type MetricsSnapshot, type QueueGauges } from "@rqueue/shared";
import * as v from "valibot";

const json = v.pipe(v.unknown(), v.description("any JSON value"));
const isoTime = v.pipe(v.string(), v.isoTimestamp());
const nullable = <T extends v.GenericSchema>(schema: T) => v.nullable(schema);

const AttemptErrorSchema = v.object({
  attempt: v.number(),
  message: v.string(),
  stack: v.optional(v.string()),
  workerId: v.optional(v.string()),
  reason: v.optional(v.string()),
  at: isoTime,
});

export const JobSchema = v.object({
  id: v.pipe(v.string(), v.description("<queue>:<sequence number>")),
  queue: v.string(),
  type: v.string(),
  state: JobStateSchema,
  priority: v.number(),
  payload: json,
  progress: nullable(v.object({ percent: v.number(), detail: v.optional(json) })),
  result: json,
  attempts: v.number(),
  maxAttempts: v.number(),
  backoff: nullable(
    v.object({
      strategy: v.picklist(["exponential", "fixed"]),
      delayMs: v.number(),
      maxDelayMs: v.optional(v.number()),
      jitter: v.optional(v.boolean()),
    }),
  ),
  timeoutMs: nullable(v.number()),
  idempotencyKey: nullable(v.string()),
  group: nullable(v.string()),
  lastError: nullable(AttemptErrorSchema),
  errors: v.array(AttemptErrorSchema),
  failureReason: nullable(v.string()),
  cancelReason: v.pipe(
    nullable(v.string()),
    v.description("`expired`: not started by its expiry; null: by hand"),
  ),
  expiresAt: v.pipe(
    nullable(isoTime),
    v.description("while the job has not started: when it expires (canceled with reason `expired`)"),
  ),
  createdAt: isoTime,
  startedAt: nullable(isoTime),
  finishedAt: nullable(isoTime),
  runAt: nullable(isoTime),
  workerId: nullable(v.string()),
  dependsOn: v.array(v.string()),
  onParentFailure: v.picklist(["fail", "ignore"]),
  failedParent: nullable(v.string()),
  dependents: v.pipe(v.array(v.string()), v.description("the first 1,000 dependents by id")),
  dependentsCount: v.number(),
  replayOf: v.pipe(nullable(v.string()), v.description("the job this one replays")),
  replays: v.pipe(v.array(v.string()), v.description("replays of this job, newest first (at most 20)")),
});

type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never]
  ? true
  : false;
// Fails to compile when the engine's Job gains or loses a field the document does not describe.
export const JOB_SCHEMA_MATCHES_ENGINE: SameKeys<v.InferOutput<typeof JobSchema>, Job> = true;

const StateCountsSchema = v.pipe(v.record(v.string(), v.number()), v.description("jobs per state"));

/** One queue's gauges (GET /v1/queues), which the snapshot (GET /v1/metrics) shows part of. */
export const QueueGaugesSchema = v.object({
  name: v.string(),
  paused: v.boolean(),
  counts: StateCountsSchema,
  countsByType: v.record(v.string(), StateCountsSchema),
  dueScheduled: v.pipe(v.number(), v.description("scheduled jobs due but not promoted yet")),
  backlog: v.pipe(v.number(), v.description("pending plus due scheduled")),
  oldestPendingAgeSeconds: v.number(),
  bytes: v.pipe(
    v.number(),
    v.description("accounted bytes: a per-job estimate plus each kept job's payload as Redis holds it"),
  ),
  maxBytes: v.pipe(v.number(), v.description("the memory budget (RQ_QUEUE_MAX_BYTES); 0: none")),
});
export const QUEUE_GAUGES_SCHEMA_MATCHES_ENGINE: SameKeys<
  v.InferOutput<typeof QueueGaugesSchema>,
  QueueGauges
> = true;

export const SnapshotQueueSchema = v.omit(QueueGaugesSchema, ["name", "countsByType"]);
export const SNAPSHOT_QUEUE_SCHEMA_MATCHES_ENGINE: SameKeys<
  v.InferOutput<typeof SnapshotQueueSchema>,
  MetricsSnapshot["queues"][string]
> = true;

export const JobPageSchema = v.object({ items: v.array(JobSchema), nextCursor: nullable(v.string()) });

export const ErrorSchema = v.object({
  error: v.object({
    code: v.string(),
    message: v.string(),
    issues: v.array(v.object({ path: v.string(), message: v.string() })),
    issuesTotal: v.optional(
      v.pipe(v.number(), v.description("how many issues were found, when not all are listed")),
    ),
    allow: v.optional(v.pipe(v.array(v.string()), v.description("405: the methods the path accepts"))),
    idempotencyKey: v.optional(v.pipe(v.string(), v.description("409 idempotency_conflict: the reused key"))),
    existingJobId: v.optional(
      v.pipe(v.string(), v.description("409 idempotency_conflict: the job the key names")),
    ),
    existingFingerprint: v.optional(
      v.pipe(v.string(), v.description("409 idempotency_conflict: that job's body fingerprint")),
    ),
    fingerprint: v.optional(
      v.pipe(v.string(), v.description("409 idempotency_conflict: this body's fingerprint")),
    ),
    queue: v.optional(v.pipe(v.string(), v.description("429 queue_full: the queue whose budget refused"))),
    maxBytes: v.optional(
      v.pipe(v.number(), v.description("429 queue_full: its memory budget (maxQueueBytes)")),
    ),
    bytes: v.optional(v.pipe(v.number(), v.description("429 queue_full: the bytes the queue holds"))),
    requestedBytes: v.optional(
      v.pipe(v.number(), v.description("429 queue_full: the bytes the refused jobs would have added")),
    ),
  }),
});

const GraphNodeSchema = v.object({
  id: v.string(),
  type: v.nullable(v.string()),
  state: v.pipe(v.nullable(JobStateSchema), v.description("null when the job no longer exists")),
});

export const JobGraphSchema = v.object({
  job: JobSchema,
  parents: v.array(GraphNodeSchema),
  children: v.pipe(v.array(GraphNodeSchema), v.description("up to 1,000")),
});

export const JobLogsSchema = v.object({
  id: v.string(),
  lines: v.array(v.object({ at: isoTime, attempt: v.number(), message: v.string() })),
  total: v.number(),
  nextOffset: v.nullable(v.number()),
});
