/**
 * Queue settings the scripts need (retention, events cap, default backoff), with
 * their defaults. They are validated here, before anything reaches Redis (a script
 * that fails after writing leaves half a change behind), and travel to Lua as one
 * compact string (see scripts/includes/settings.lua), so the defaults exist only here.
 */
import * as v from "valibot";
import { ValidationError } from "./errors.js";
import { integerIn } from "./schemas/integer-in.js";
import { LIMITS } from "./schemas/limits.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface RetentionOptions {
  /** Completed jobs kept per job type (the oldest beyond it are deleted). */
  keepCompleted: number;
  completedAgeMs: number;
  /** Dead-lettered jobs kept per job type. */
  keepFailed: number;
  failedAgeMs: number;
  keepCanceled: number;
  canceledAgeMs: number;
}

export interface QueueSettings {
  retention: RetentionOptions;
  /** Approximate cap of the queue's events stream. */
  eventsMaxLen: number;
  /** Backoff for jobs that do not set their own. */
  defaultBackoff: { strategy: "exponential" | "fixed"; delayMs: number; maxDelayMs: number; jitter: boolean };
  defaultMaxAttempts: number;
  defaultTimeoutMs: number;
  /** How long an idempotency key returns the job it first created. */
  idempotencyWindowMs: number;
  /** Largest accepted payload, in bytes of JSON. */
  maxPayloadBytes: number;
  /**
   * The queue's memory budget (RabbitMQ's `max-length-bytes` with `overflow=reject-publish`):
   * a submission that would take the queue's accounted bytes past it is refused whole
   * (QueueFullError). 0: no budget. Accounted: JOB_OVERHEAD_BYTES plus the payload
   * as Redis holds it, per job kept (see scripts/includes/queue-bytes.lua).
   */
  maxQueueBytes: number;
}

/**
 * What one job costs Redis besides its payload, as the budget counts it: the bench's
 * "Redis bytes per pending job" (bench/src/scenarios/bulk-enqueue.ts: INFO used_memory
 * over 20,000 pending jobs, 175.3 bytes in the README's run) less that run's payload,
 * `{"i":<n>}`, 10.4 bytes on average. An estimate: results, error history and logs are
 * bounded by their own caps, not counted.
 */
export const JOB_OVERHEAD_BYTES = 165;

export const DEFAULT_SETTINGS: QueueSettings = {
  retention: {
    keepCompleted: 10_000,
    completedAgeMs: DAY,
    keepFailed: 100_000,
    failedAgeMs: 7 * DAY,
    keepCanceled: 10_000,
    canceledAgeMs: DAY,
  },
  eventsMaxLen: 10_000,
  defaultBackoff: { strategy: "exponential", delayMs: 1_000, maxDelayMs: HOUR, jitter: true },
  defaultMaxAttempts: 3,
  defaultTimeoutMs: 5 * 60_000,
  idempotencyWindowMs: DAY,
  maxPayloadBytes: LIMITS.payloadBytes,
  maxQueueBytes: 0,
};

export interface QueueSettingsInput {
  retention?: Partial<RetentionOptions>;
  eventsMaxLen?: number;
  defaultBackoff?: Partial<QueueSettings["defaultBackoff"]>;
  defaultMaxAttempts?: number;
  defaultTimeoutMs?: number;
  idempotencyWindowMs?: number;
  maxPayloadBytes?: number;
  maxQueueBytes?: number;
}

const YEAR = 366 * DAY;
export const MAX_QUEUE_BYTES = 2 ** 40;
const count = integerIn(0, 100_000_000);
const age = integerIn(1, 10 * YEAR);

export const QueueSettingsSchema = v.strictObject({
  retention: v.optional(
    v.strictObject({
      keepCompleted: v.optional(count),
      completedAgeMs: v.optional(age),
      keepFailed: v.optional(count),
      failedAgeMs: v.optional(age),
      keepCanceled: v.optional(count),
      canceledAgeMs: v.optional(age),
    }),
  ),
  eventsMaxLen: v.optional(integerIn(1, 10_000_000)),
  defaultBackoff: v.optional(
    v.strictObject({
      strategy: v.optional(v.picklist(["exponential", "fixed"], "must be 'exponential' or 'fixed'")),
      delayMs: v.optional(integerIn(0, LIMITS.maxBackoffMs)),
      maxDelayMs: v.optional(integerIn(0, LIMITS.maxBackoffMs)),
      jitter: v.optional(v.boolean("must be a boolean")),
    }),
  ),
  defaultMaxAttempts: v.optional(integerIn(1, 1_000)),
  defaultTimeoutMs: v.optional(integerIn(1, LIMITS.maxTimeoutMs)),
  idempotencyWindowMs: v.optional(integerIn(1, 10 * YEAR)),
  maxPayloadBytes: v.optional(integerIn(1, 64 * 1024 * 1024)),
  // Lua numbers are doubles: exact far beyond any Redis's memory (1 TiB).
  maxQueueBytes: v.optional(integerIn(0, MAX_QUEUE_BYTES)),
});

/** Validated settings with defaults filled in; a bad value throws a ValidationError naming it. */
export function resolveSettings(raw: QueueSettingsInput = {}): QueueSettings {
  const parsed = v.safeParse(QueueSettingsSchema, raw);
  if (!parsed.success) throw ValidationError.fromValibot(parsed.issues, "settings");
  const input = parsed.output;
  return {
    ...DEFAULT_SETTINGS,
    ...input,
    retention: { ...DEFAULT_SETTINGS.retention, ...input.retention },
    defaultBackoff: {
      ...DEFAULT_SETTINGS.defaultBackoff,
      // Fixed means fixed: a fixed default is jittered only when asked to be.
      ...(input.defaultBackoff?.strategy === "fixed" ? { jitter: false } : {}),
      ...input.defaultBackoff,
    },
  };
}

/** Field order must match scripts/includes/settings.lua (the call's deadline follows, see queue-context.ts). */
export function encodeSettings(settings: QueueSettings): string {
  const { retention: r, defaultBackoff: b } = settings;
  return [
    r.keepCompleted,
    r.completedAgeMs,
    r.keepFailed,
    r.failedAgeMs,
    r.keepCanceled,
    r.canceledAgeMs,
    settings.eventsMaxLen,
    b.strategy === "fixed" ? 1 : 0,
    b.delayMs,
    b.maxDelayMs,
    b.jitter ? 1 : 0,
    LIMITS.typesPerQueue,
    LIMITS.maxBackoffMs,
    settings.maxQueueBytes,
    JOB_OVERHEAD_BYTES,
  ].join(",");
}

/**
 * A job's own backoff as stored in its hash: `<e|f>,<delayMs>,<maxDelayMs>,<jitter 0|1>`.
 * Jitter is on by default for exponential backoff (it spreads retry storms) and off
 * for fixed backoff, whose point is an exact gap.
 */
export function encodeBackoff(backoff: {
  strategy: "exponential" | "fixed";
  delayMs: number;
  maxDelayMs?: number | undefined;
  jitter?: boolean | undefined;
}): string {
  return `${backoff.strategy === "fixed" ? "f" : "e"},${backoff.delayMs},${backoff.maxDelayMs ?? ""},${(backoff.jitter ?? backoff.strategy === "exponential") ? 1 : 0}`;
}

export function decodeBackoff(text: string) {
  const [kind, delay, max, jitter] = text.split(",");
  return {
    strategy: kind === "f" ? ("fixed" as const) : ("exponential" as const),
    delayMs: Number(delay),
    ...(max ? { maxDelayMs: Number(max) } : {}),
    jitter: jitter === "1",
  };
}
