/**
 * Queue settings the scripts need (retention, events cap, default backoff), with
 * their defaults. They travel to Lua as one compact string (see
 * scripts/includes/settings.lua), so the defaults exist only here.
 */
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
}

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
};

export interface QueueSettingsInput {
  retention?: Partial<RetentionOptions>;
  eventsMaxLen?: number;
  defaultBackoff?: Partial<QueueSettings["defaultBackoff"]>;
  defaultMaxAttempts?: number;
  defaultTimeoutMs?: number;
  idempotencyWindowMs?: number;
  maxPayloadBytes?: number;
}

export function resolveSettings(input: QueueSettingsInput = {}): QueueSettings {
  return {
    ...DEFAULT_SETTINGS,
    ...input,
    retention: { ...DEFAULT_SETTINGS.retention, ...input.retention },
    defaultBackoff: { ...DEFAULT_SETTINGS.defaultBackoff, ...input.defaultBackoff },
  };
}

/** Field order must match scripts/includes/settings.lua. */
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
  ].join(",");
}

/** A job's own backoff as stored in its hash: `<e|f>,<delayMs>,<maxDelayMs>,<jitter 0|1>`. */
export function encodeBackoff(backoff: {
  strategy: "exponential" | "fixed";
  delayMs: number;
  maxDelayMs?: number | undefined;
  jitter?: boolean | undefined;
}): string {
  return `${backoff.strategy === "fixed" ? "f" : "e"},${backoff.delayMs},${backoff.maxDelayMs ?? ""},${backoff.jitter === false ? 0 : 1}`;
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
