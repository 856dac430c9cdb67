/**
 * Circuit breakers per job type, shared by every worker of a queue through Redis
 * (the logic runs inside the take path: scripts/includes/circuit-breaker.lua).
 * This module is the engine's API around them:
 *   - configureCircuitBreaker(): store a type's thresholds (workers do this from
 *     their handler definitions), or remove its breaker
 *   - getCircuitBreakers(): every breaker's state, for the API and dashboard
 *   - resetCircuitBreaker(): an admin closes a breaker at once
 */
import * as v from "valibot";
import {
  circuitBreakerErrorFromScriptCode,
  type FieldIssue,
  SCRIPT_CODES,
  ValidationError,
} from "../errors.js";
import { createQueueContext, type QueueContext } from "../queue/queue-context.js";
import type { RedisClient } from "../redis/connection.js";
import { JobTypeSchema, QueueNameSchema } from "../schemas/job-input.js";
import { resolveSettings } from "../settings.js";

export interface CircuitBreakerConfig {
  /** Failure rate (0–1] within the window at which the breaker opens. */
  failureRateThreshold: number;
  /** Outcomes the window must hold before the rate is judged, so one early failure cannot open it. */
  minCalls: number;
  /** Length of the sliding window, ms. */
  windowMs: number;
  /** How long it stays open before letting probe jobs through, ms. */
  cooldownMs: number;
  /** Probe jobs at a time while half-open; this many successes close it. */
  halfOpenProbes: number;
}

export const DEFAULT_CIRCUIT_BREAKER: CircuitBreakerConfig = {
  failureRateThreshold: 0.5,
  minCalls: 20,
  windowMs: 60_000,
  cooldownMs: 30_000,
  halfOpenProbes: 1,
};

const positiveInteger = (max: number) =>
  v.pipe(
    v.number("must be a number"),
    v.integer("must be an integer"),
    v.minValue(1, "must be at least 1"),
    v.maxValue(max, `must be at most ${max}`),
  );

export const CircuitBreakerConfigSchema = v.strictObject({
  failureRateThreshold: v.optional(
    v.pipe(
      v.number("must be a number"),
      v.gtValue(0, "must be more than 0"),
      v.maxValue(1, "must be at most 1"),
    ),
  ),
  minCalls: v.optional(positiveInteger(100_000)),
  // At least 10 ms: the window is kept as 10 buckets of a tenth each.
  windowMs: v.optional(v.pipe(positiveInteger(24 * 3_600_000), v.minValue(10, "must be at least 10"))),
  cooldownMs: v.optional(positiveInteger(24 * 3_600_000)),
  halfOpenProbes: v.optional(positiveInteger(1_000)),
});
export type CircuitBreakerConfigInput = v.InferInput<typeof CircuitBreakerConfigSchema>;

export type CircuitBreakerState = "closed" | "open" | "half-open";

export interface CircuitBreakerStatus {
  type: string;
  state: CircuitBreakerState;
  /** Failures / calls within the window (0 with no calls). */
  failureRate: number;
  calls: number;
  failures: number;
  /** When it last opened; null if it never did. */
  openedAt: string | null;
  /** When an open breaker lets probes through; null unless open. */
  reopensAt: string | null;
  config: CircuitBreakerConfig;
}

function contextFor(redis: RedisClient, queue: string, type?: string): QueueContext {
  const issues: FieldIssue[] = [];
  const check = (path: string, schema: typeof QueueNameSchema | typeof JobTypeSchema, value: unknown) => {
    const parsed = v.safeParse(schema, value);
    if (!parsed.success) issues.push({ path, message: parsed.issues[0].message });
  };
  check("queue", QueueNameSchema, queue);
  if (type !== undefined) check("type", JobTypeSchema, type);
  if (issues.length > 0) throw new ValidationError(issues);
  return createQueueContext(redis, queue, resolveSettings());
}

/**
 * Gives a job type of a queue a circuit breaker with these thresholds (defaults
 * for the rest), or removes it with `null`. Its state and window are kept, so
 * workers restarting with the same definitions change nothing. Returns the
 * thresholds stored.
 */
export async function configureCircuitBreaker(
  redis: RedisClient,
  queue: string,
  type: string,
  config: CircuitBreakerConfigInput | null,
): Promise<CircuitBreakerConfig | null> {
  const { keys } = contextFor(redis, queue, type);
  if (config === null) {
    await redis.del(keys.circuitBreaker(type));
    return null;
  }
  const parsed = v.safeParse(CircuitBreakerConfigSchema, config);
  if (!parsed.success) throw ValidationError.fromValibot(parsed.issues, "circuitBreaker");
  const resolved = { ...DEFAULT_CIRCUIT_BREAKER, ...parsed.output };
  // Field names are the ones circuit-breaker.lua reads.
  await redis.hset(keys.circuitBreaker(type), {
    fr: resolved.failureRateThreshold,
    mc: resolved.minCalls,
    wm: resolved.windowMs,
    cd: resolved.cooldownMs,
    hp: resolved.halfOpenProbes,
  });
  return resolved;
}

const FIELDS_PER_BREAKER = 11;
const isoOrNull = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : null);

/** Every circuit breaker of the queue's job types, with its state as takes see it now. */
export async function getCircuitBreakers(redis: RedisClient, queue: string): Promise<CircuitBreakerStatus[]> {
  const reply = (await contextFor(redis, queue).run("read-circuit-breakers", [])) as (string | number)[];
  const statuses: CircuitBreakerStatus[] = [];
  for (let i = 0; i + FIELDS_PER_BREAKER <= reply.length; i += FIELDS_PER_BREAKER) {
    const [type, state, calls, failures, openedAt, reopensAt, rate, minCalls, windowMs, cooldownMs, probes] =
      reply.slice(i, i + FIELDS_PER_BREAKER);
    const callCount = Number(calls);
    statuses.push({
      type: String(type),
      state: state as CircuitBreakerState,
      failureRate: callCount > 0 ? Number(failures) / callCount : 0,
      calls: callCount,
      failures: Number(failures),
      openedAt: isoOrNull(Number(openedAt)),
      reopensAt: isoOrNull(Number(reopensAt)),
      config: {
        failureRateThreshold: Number(rate),
        minCalls: Number(minCalls),
        windowMs: Number(windowMs),
        cooldownMs: Number(cooldownMs),
        halfOpenProbes: Number(probes),
      },
    });
  }
  return statuses.sort((a, b) => a.type.localeCompare(b.type));
}

/**
 * Closes a job type's breaker at once and clears its window (thresholds stay);
 * idle workers are woken to take the jobs it held back.
 */
export async function resetCircuitBreaker(redis: RedisClient, queue: string, type: string): Promise<void> {
  const code = (await contextFor(redis, queue, type).run("reset-circuit-breaker", [type])) as number;
  if (code !== SCRIPT_CODES.ok) throw circuitBreakerErrorFromScriptCode(code, queue, type);
}
