/**
 * A job as a consumer holds it: the data to run it, plus the lease (seq and
 * fencing token) that every later call about it must present.
 */
import type { JsonValue } from "../schemas/json-value.js";

export interface Lease {
  seq: string;
  /** Fencing token: changes every time the job is leased. */
  token: string;
}

export interface LeasedJob extends Lease {
  id: string;
  queue: string;
  type: string;
  payload: JsonValue;
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
  /** The job's own timeout, or null to use the consumer's default. */
  timeoutMs: number | null;
  createdAt: number;
  /** Seqs of the jobs this one depended on (all completed, or final under `ignore`). */
  parentSeqs: string[];
}

/** Errors of this class dead-letter the job at once: retrying cannot help. */
export class UnrecoverableError extends Error {
  override name = "UnrecoverableError";
}

export type RateLimitScope = "job" | "group" | "type" | "queue";

/**
 * Throw this when the system a handler calls limits it (an HTTP 429 with
 * Retry-After): the job is not failed and keeps its attempt; it waits
 * `retryAfterMs`, and with scope `group`, `type` or `queue` nothing else of that
 * scope starts before then either.
 */
export class RateLimitedError extends Error {
  override name = "RateLimitedError";
  readonly retryAfterMs: number;
  readonly scope: RateLimitScope;

  constructor(retryAfterMs: number, options: { scope?: RateLimitScope; message?: string } = {}) {
    super(options.message ?? `rate limited upstream: retry after ${retryAfterMs} ms`);
    // A NaN or negative wait (a malformed Retry-After) waits nothing rather than throwing.
    this.retryAfterMs = Number.isFinite(retryAfterMs) ? Math.max(0, Math.round(retryAfterMs)) : 0;
    this.scope = options.scope ?? "job";
  }
}

export type Outcome =
  | { lease: Lease; kind: "completed"; result?: unknown }
  | { lease: Lease; kind: "failed"; error: unknown; unrecoverable?: boolean; reason?: string };

export type LeaseStatus =
  | { ok: true }
  /** The lease is gone: the job was canceled, re-leased to someone else, or deleted. */
  | { ok: false; state: string | null };
