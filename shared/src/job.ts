/**
 * The public shape of a job and its decoding from the job hash. Field names in
 * Redis are short on purpose (memory per job is a design target); this is the one
 * place that knows them.
 */

import { formatJobId } from "./job-id.js";
import type { BackoffOptions } from "./schemas/job-input.js";
import type { JobState } from "./schemas/job-state.js";
import type { JsonValue } from "./schemas/json-value.js";
import { decodeBackoff } from "./settings.js";

export interface AttemptError {
  attempt: number;
  message: string;
  stack?: string;
  workerId?: string;
  /** Why the attempt ended, when not a plain error: `lease-expired`, `timeout`, `unrecoverable`. */
  reason?: string;
  at: string;
}

export interface JobProgress {
  percent: number;
  detail?: JsonValue;
}

export interface Job {
  id: string;
  queue: string;
  type: string;
  state: JobState;
  priority: number;
  payload: JsonValue;
  progress: JobProgress | null;
  result: JsonValue | null;
  /** Attempts started so far. */
  attempts: number;
  maxAttempts: number;
  /** The backoff that applies: the job's own, else the queue's default (null where that is unknown: an archived job). */
  backoff: BackoffOptions | null;
  timeoutMs: number | null;
  idempotencyKey: string | null;
  /** The job's group (tenant) for fair queuing and per-group limits. */
  group: string | null;
  lastError: AttemptError | null;
  errors: AttemptError[];
  /** Why a failed job was dead-lettered: `error`, `unrecoverable`, `lease-expired`. */
  failureReason: string | null;
  /** Why a canceled job was canceled when not by hand: `expired` (not started by its expiry). */
  cancelReason: string | null;
  /** When a job that has not started yet expires (canceled with reason `expired`), else null. */
  expiresAt: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** When a scheduled job becomes pending. */
  runAt: string | null;
  workerId: string | null;
  /** Parents: jobs that must complete before this one runs. */
  dependsOn: string[];
  /** What a parent's failure or cancelation does to this job. */
  onParentFailure: "fail" | "ignore";
  /** The parent whose failure failed this job (reason `dependency-failed`). */
  failedParent: string | null;
  /** Jobs that depend on this one (at most the first 1,000 by id; see `dependentsCount`). */
  dependents: string[];
  dependentsCount: number;
  /** The job this one replays (a copy with edits, made from the dashboard or the API). */
  replayOf: string | null;
  /** Replays made of this job, newest first (at most REPLAYS_KEPT). */
  replays: string[];
}

/** Replays listed on the original job; older ones keep their own `replayOf`. */
export const REPLAYS_KEPT = 20;

/** At most this many dependents are listed on a job; `dependentsCount` has the total. */
export const DEPENDENTS_SHOWN = 1_000;

const iso = (ms: string | undefined) => (ms ? new Date(Number(ms)).toISOString() : null);

// A field written past the engine (by hand, or a foreign tool) is shown as the text it
// holds, so one corrupted job can still be read (and dead-lettered) rather than break
// every listing that includes it.
function parseJson<T>(text: string | undefined, fallback: T): T {
  if (text === undefined || text === "") return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return text as T;
  }
}

interface StoredError extends Omit<AttemptError, "at"> {
  at: number;
}

/** Builds a Job from the fields of its hash (as returned by HGETALL) and its dependents' seqs. */
export function decodeJob(
  queue: string,
  seq: string,
  h: Record<string, string>,
  dependents: { seqs: string[]; count: number } = { seqs: [], count: 0 },
  /** The queue's default backoff, shown for a job without its own (it is what applies). */
  defaultBackoff: BackoffOptions | null = null,
): Job {
  const history = parseJson<StoredError[]>(h.e, []);
  const errors = (Array.isArray(history) ? history : []).map((entry) => ({
    ...entry,
    at: new Date(entry.at).toISOString(),
  }));
  const state = h.s as JobState;
  return {
    id: formatJobId(queue, seq),
    queue,
    type: h.t ?? "",
    state,
    priority: Number(h.p ?? 5),
    payload: parseJson<JsonValue>(h.d, null),
    progress:
      h.pg === undefined
        ? null
        : { percent: Number(h.pg), ...(h.pd ? { detail: parseJson(h.pd, null) } : {}) },
    result: parseJson<JsonValue>(h.r, null),
    attempts: Number(h.a ?? 0),
    maxAttempts: Number(h.ma ?? 1),
    backoff: h.bo ? decodeBackoff(h.bo) : defaultBackoff,
    timeoutMs: h.to ? Number(h.to) : null,
    idempotencyKey: h.ik ?? null,
    group: h.g ?? null,
    lastError: errors.at(-1) ?? null,
    errors,
    // One field holds the reason of either final state.
    failureReason: state === "canceled" ? null : (h.fr ?? null),
    cancelReason: state === "canceled" ? (h.fr ?? null) : null,
    expiresAt: iso(h.ex),
    createdAt: iso(h.c) ?? new Date(0).toISOString(),
    startedAt: iso(h.st),
    finishedAt: iso(h.f),
    runAt: state === "scheduled" ? iso(h.ra) : null,
    workerId: h.w ?? null,
    dependsOn: h.dp ? h.dp.split(",").map((parent) => formatJobId(queue, parent)) : [],
    onParentFailure: h.op === "i" ? "ignore" : "fail",
    failedParent: h.fp ? formatJobId(queue, h.fp) : null,
    dependents: dependents.seqs
      .map(Number)
      .sort((a, b) => a - b)
      .map((child) => formatJobId(queue, String(child))),
    dependentsCount: dependents.count,
    replayOf: h.rp ? formatJobId(queue, h.rp) : null,
    replays: h.rl ? h.rl.split(",").map((replay) => formatJobId(queue, replay)) : [],
  };
}

/** HGETALL arrives from Lua as a flat [field, value, ...] array. */
export function pairsToRecord(flat: string[], start = 0): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = start; i + 1 < flat.length; i += 2) record[flat[i] as string] = flat[i + 1] as string;
  return record;
}
