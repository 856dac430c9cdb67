/**
 * How a job is stored in the archive: the mapping from the engine's Job to a row
 * (as one element of the JSON array the upsert reads with jsonb_to_recordset) and
 * back, so a job read from the archive has the same shape as one read from Redis.
 */
import type { AttemptError, BackoffOptions, Job, JobProgress, JobState, JsonValue } from "@rqueue/shared";

/** Columns of rq_archive_jobs the archiver writes, with their SQL types, in one place. */
export const ARCHIVE_COLUMNS = {
  id: "text",
  queue: "text",
  seq: "bigint",
  type: "text",
  state: "text",
  priority: "smallint",
  attempts: "integer",
  max_attempts: "integer",
  backoff: "jsonb",
  timeout_ms: "integer",
  idempotency_key: "text",
  group_key: "text",
  payload: "jsonb",
  result: "jsonb",
  progress: "jsonb",
  errors: "jsonb",
  error_text: "text",
  failure_reason: "text",
  parents: "text[]",
  on_parent_failure: "text",
  failed_parent: "text",
  dependents: "text[]",
  dependents_count: "integer",
  worker_id: "text",
  replay_of: "text",
  replays: "text[]",
  created_at: "timestamptz",
  started_at: "timestamptz",
  finished_at: "timestamptz",
} as const;

export type ArchiveColumn = keyof typeof ARCHIVE_COLUMNS;

export interface ArchiveRow {
  id: string;
  queue: string;
  seq: number;
  type: string;
  state: string;
  priority: number;
  attempts: number;
  max_attempts: number;
  backoff: BackoffOptions | null;
  timeout_ms: number | null;
  idempotency_key: string | null;
  group_key: string | null;
  payload: JsonValue;
  result: JsonValue | null;
  progress: JobProgress | null;
  errors: AttemptError[];
  error_text: string | null;
  failure_reason: string | null;
  parents: string[];
  on_parent_failure: "fail" | "ignore";
  failed_parent: string | null;
  dependents: string[];
  dependents_count: number;
  worker_id: string | null;
  replay_of: string | null;
  replays: string[];
  created_at: string;
  started_at: string | null;
  finished_at: string;
}

/** A job as read from the archive: the engine's Job plus where it came from. */
export type ArchivedJob = Job & { source: "archive"; archivedAt: string };

export function toArchiveRow(job: Job, finishedFallback: string): ArchiveRow {
  return {
    id: job.id,
    queue: job.queue,
    seq: Number(job.id.slice(job.id.lastIndexOf(":") + 1)),
    type: job.type,
    state: job.state,
    priority: job.priority,
    attempts: job.attempts,
    max_attempts: job.maxAttempts,
    backoff: job.backoff,
    timeout_ms: job.timeoutMs,
    idempotency_key: job.idempotencyKey,
    group_key: job.group,
    payload: job.payload,
    result: job.result,
    progress: job.progress,
    errors: job.errors,
    error_text: job.errors.length > 0 ? job.errors.map((error) => error.message).join("\n") : null,
    // One column holds the reason of either final state, like the job hash.
    failure_reason: job.failureReason ?? job.cancelReason,
    parents: job.dependsOn,
    on_parent_failure: job.onParentFailure,
    failed_parent: job.failedParent,
    dependents: job.dependents,
    dependents_count: job.dependentsCount,
    worker_id: job.workerId,
    replay_of: job.replayOf,
    replays: job.replays,
    created_at: job.createdAt,
    started_at: job.startedAt,
    finished_at: job.finishedAt ?? finishedFallback,
  };
}

/** The column list of a SELECT that fromArchiveRow reads. */
export const SELECT_COLUMNS = `${Object.keys(ARCHIVE_COLUMNS).join(", ")}, archived_at`;

const iso = (value: unknown): string | null =>
  value === null || value === undefined ? null : new Date(value as string | Date).toISOString();

export function fromArchiveRow(row: Record<string, unknown>): ArchivedJob {
  return {
    id: row.id as string,
    queue: row.queue as string,
    type: row.type as string,
    state: row.state as JobState,
    priority: Number(row.priority),
    payload: (row.payload ?? null) as JsonValue,
    progress: (row.progress ?? null) as JobProgress | null,
    result: (row.result ?? null) as JsonValue | null,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    backoff: (row.backoff ?? null) as BackoffOptions | null,
    timeoutMs: row.timeout_ms === null ? null : Number(row.timeout_ms),
    idempotencyKey: (row.idempotency_key ?? null) as string | null,
    group: (row.group_key ?? null) as string | null,
    lastError: ((row.errors as AttemptError[]).at(-1) ?? null) as AttemptError | null,
    errors: row.errors as AttemptError[],
    failureReason: row.state === "canceled" ? null : ((row.failure_reason ?? null) as string | null),
    cancelReason: row.state === "canceled" ? ((row.failure_reason ?? null) as string | null) : null,
    expiresAt: null,
    createdAt: iso(row.created_at) as string,
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
    runAt: null,
    workerId: (row.worker_id ?? null) as string | null,
    dependsOn: row.parents as string[],
    onParentFailure: row.on_parent_failure === "ignore" ? "ignore" : "fail",
    failedParent: (row.failed_parent ?? null) as string | null,
    dependents: row.dependents as string[],
    dependentsCount: Number(row.dependents_count),
    replayOf: (row.replay_of ?? null) as string | null,
    replays: (row.replays ?? []) as string[],
    source: "archive",
    archivedAt: iso(row.archived_at) as string,
  };
}
