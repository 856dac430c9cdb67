/**
 * The worker's configuration, read once from environment variables and
 * validated with valibot: every problem is reported at once, by variable name,
 * so a bad deployment fails at start with a message rather than later.
 */

import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  type CircuitBreakerConfig,
  DEFAULT_CIRCUIT_BREAKER,
  DEFAULT_SCALING_POLICY,
  envWholeNumber,
  parseQueueList,
  type QueueWeight,
  REDIS_URL_MESSAGE,
  REDIS_URL_PATTERN,
  redisTlsCa,
  type ScalingPolicy,
} from "@rqueue/shared";
import { type BlobConfig, parseBlobConfig } from "@rqueue/shared/blobs";
import * as v from "valibot";
import { LOG_LEVELS, type LogLevel } from "./logger.js";

export type { QueueWeight };

export interface AutoscaleConfig {
  policy: ScalingPolicy;
  /** How often the supervisor measures the backlog. */
  intervalMs: number;
  /** First delay before restarting a crashed child; doubles per crash in a row. */
  restartBackoffMs: number;
  restartBackoffMaxMs: number;
}

export interface WorkerConfig {
  logLevel: LogLevel;
  redisUrl: string;
  redisPassword: string | undefined;
  /** PEM certificates to trust for Redis over TLS (REDIS_TLS_CA_FILE); system CAs when unset. */
  redisTlsCa: string | undefined;
  /**
   * A Redis command without an answer this long fails (a hung node must not hold a
   * loop forever), and a queue's loop without an answer this long logs a stall.
   */
  redisCommandTimeoutMs: number;
  queues: QueueWeight[];
  concurrency: number;
  leaseMs: number;
  /** Replicas each report of outcomes waits for (Redis WAIT; 0: off), see ConsumerOptions.replicaAck. */
  replicaAck: { replicas: number; timeoutMs: number };
  drainTimeoutMs: number;
  heartbeatMs: number;
  /** Size of the worker_threads pool for handlers with `isolation: "thread"`. */
  threads: number;
  /** Touched on every heartbeat; `rqueue-worker --healthcheck` judges liveness by it. */
  healthFile: string;
  ecsAgentUri: string | undefined;
  ecsMetadataUri: string | undefined;
  taskProtectionMinutes: number;
  /** Thresholds for handler types that set none of their own. */
  circuitBreaker: CircuitBreakerConfig;
  autoscale: AutoscaleConfig;
  /** Blob store for large payloads and results (RQ_BLOB_DIR or RQ_BLOB_S3_BUCKET); null when off. */
  blobs: BlobConfig | null;
  /** Absolute folder of the handler modules to run instead of the built-in ones (RQ_HANDLERS_DIR). */
  handlersDir: string | undefined;
}

export type ConfigResult = { ok: true; config: WorkerConfig } | { ok: false; errors: string[] };

const QueuesSchema = v.pipe(
  v.optional(v.string(), "default"),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const parsed = parseQueueList(dataset.value);
    if (parsed.ok) return parsed.queues;
    addIssue({ message: parsed.error });
    return NEVER;
  }),
);

const isHttpUrl = (text: string) => {
  try {
    return ["http:", "https:"].includes(new URL(text).protocol);
  } catch {
    return false;
  }
};
const httpUrl = v.optional(v.pipe(v.string(), v.trim(), v.check(isHttpUrl, "must be an http(s) URL")));

export const EnvSchema = v.object({
  LOG_LEVEL: v.optional(v.picklist(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(", ")}`), "info"),
  REDIS_URL: v.pipe(
    v.optional(v.string(), "redis://127.0.0.1:6379"),
    v.trim(),
    v.regex(REDIS_URL_PATTERN, REDIS_URL_MESSAGE),
  ),
  REDIS_PASSWORD: v.optional(v.string()),
  REDIS_TLS_CA_FILE: v.optional(v.string()),
  RQ_REDIS_COMMAND_TIMEOUT_MS: envWholeNumber(10_000, 100, 600_000),
  RQ_QUEUES: QueuesSchema,
  RQ_CONCURRENCY: envWholeNumber(50, 1, 1_000),
  RQ_LEASE_MS: envWholeNumber(30_000, 100, 3_600_000),
  RQ_SETTLE_REPLICAS: envWholeNumber(0, 0, 16),
  RQ_SETTLE_REPLICAS_TIMEOUT_MS: envWholeNumber(100, 1, 60_000),
  RQ_DRAIN_TIMEOUT_MS: envWholeNumber(25_000, 0, 3_600_000),
  RQ_HEARTBEAT_MS: envWholeNumber(5_000, 50, 600_000),
  RQ_THREADS: envWholeNumber(Math.max(availableParallelism(), 1), 1, 64),
  RQ_HEALTH_FILE: v.optional(v.string(), join(tmpdir(), "rqueue-worker.health")),
  RQ_HANDLERS_DIR: v.optional(
    v.pipe(
      v.string(),
      v.trim(),
      v.transform((dir) => resolve(dir)),
    ),
  ),
  ECS_AGENT_URI: httpUrl,
  ECS_CONTAINER_METADATA_URI_V4: httpUrl,
  RQ_TASK_PROTECTION_MINUTES: envWholeNumber(10, 1, 2_880),
  RQ_CB_FAILURE_RATE: v.pipe(
    v.optional(v.string(), String(DEFAULT_CIRCUIT_BREAKER.failureRateThreshold)),
    v.trim(),
    v.regex(/^(0?\.\d*[1-9]\d*|1(\.0*)?)$/, "must be a number more than 0 and at most 1"),
    v.transform(Number),
  ),
  RQ_CB_MIN_CALLS: envWholeNumber(DEFAULT_CIRCUIT_BREAKER.minCalls, 1, 100_000),
  RQ_CB_WINDOW_MS: envWholeNumber(DEFAULT_CIRCUIT_BREAKER.windowMs, 10, 86_400_000),
  RQ_CB_COOLDOWN_MS: envWholeNumber(DEFAULT_CIRCUIT_BREAKER.cooldownMs, 1, 86_400_000),
  RQ_CB_PROBES: envWholeNumber(DEFAULT_CIRCUIT_BREAKER.halfOpenProbes, 1, 1_000),
  RQ_AUTOSCALE_MIN: envWholeNumber(DEFAULT_SCALING_POLICY.min, 1, 10),
  RQ_AUTOSCALE_MAX: envWholeNumber(DEFAULT_SCALING_POLICY.max, 1, 10),
  RQ_AUTOSCALE_TARGET_DRAIN_SECONDS: envWholeNumber(DEFAULT_SCALING_POLICY.targetDrainSeconds, 1, 86_400),
  RQ_AUTOSCALE_FALLBACK_JOB_MS: envWholeNumber(
    DEFAULT_SCALING_POLICY.fallbackJobSeconds * 1000,
    1,
    3_600_000,
  ),
  RQ_AUTOSCALE_INTERVAL_MS: envWholeNumber(2_000, 50, 600_000),
  RQ_AUTOSCALE_SCALE_OUT_COOLDOWN_MS: envWholeNumber(DEFAULT_SCALING_POLICY.scaleOutCooldownMs, 0, 3_600_000),
  RQ_AUTOSCALE_SCALE_IN_COOLDOWN_MS: envWholeNumber(DEFAULT_SCALING_POLICY.scaleInCooldownMs, 0, 3_600_000),
  RQ_AUTOSCALE_RESTART_BACKOFF_MS: envWholeNumber(1_000, 10, 600_000),
  RQ_AUTOSCALE_RESTART_BACKOFF_MAX_MS: envWholeNumber(30_000, 10, 3_600_000),
});

/** Reads the configuration from `env`; an empty variable counts as unset. */
export function parseConfig(env: NodeJS.ProcessEnv): ConfigResult {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ""),
  );
  const parsed = v.safeParse(EnvSchema, present);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.issues.map((issue) => {
        const name = String(issue.path?.[0]?.key ?? "environment");
        const raw = present[name];
        // Values that may carry credentials are never echoed.
        const secret = name === "REDIS_URL" || name === "REDIS_PASSWORD";
        const got = raw === undefined || secret ? "" : ` (got ${JSON.stringify(raw)})`;
        return `${name}: ${issue.message}${got}`;
      }),
    };
  }
  const vars = parsed.output;
  const errors: string[] = [];
  if (vars.RQ_CONCURRENCY < vars.RQ_QUEUES.length) {
    errors.push(`RQ_CONCURRENCY: must be at least the number of queues (${vars.RQ_QUEUES.length})`);
  }
  if (vars.RQ_AUTOSCALE_MIN > vars.RQ_AUTOSCALE_MAX) {
    errors.push(`RQ_AUTOSCALE_MIN: must not exceed RQ_AUTOSCALE_MAX (${vars.RQ_AUTOSCALE_MAX})`);
  }
  const tls = redisTlsCa(vars.REDIS_URL, vars.REDIS_TLS_CA_FILE);
  if (!tls.ok) errors.push(tls.problem);
  const blobs = parseBlobConfig(present);
  if (!blobs.ok) errors.push(...blobs.problems);
  if (errors.length > 0 || !blobs.ok || !tls.ok) return { ok: false, errors };
  return {
    ok: true,
    config: {
      logLevel: vars.LOG_LEVEL,
      redisUrl: vars.REDIS_URL,
      redisPassword: vars.REDIS_PASSWORD,
      redisTlsCa: tls.tlsCa,
      redisCommandTimeoutMs: vars.RQ_REDIS_COMMAND_TIMEOUT_MS,
      queues: vars.RQ_QUEUES,
      concurrency: vars.RQ_CONCURRENCY,
      leaseMs: vars.RQ_LEASE_MS,
      replicaAck: { replicas: vars.RQ_SETTLE_REPLICAS, timeoutMs: vars.RQ_SETTLE_REPLICAS_TIMEOUT_MS },
      drainTimeoutMs: vars.RQ_DRAIN_TIMEOUT_MS,
      heartbeatMs: vars.RQ_HEARTBEAT_MS,
      threads: vars.RQ_THREADS,
      healthFile: vars.RQ_HEALTH_FILE,
      ecsAgentUri: vars.ECS_AGENT_URI,
      ecsMetadataUri: vars.ECS_CONTAINER_METADATA_URI_V4,
      taskProtectionMinutes: vars.RQ_TASK_PROTECTION_MINUTES,
      circuitBreaker: {
        failureRateThreshold: vars.RQ_CB_FAILURE_RATE,
        minCalls: vars.RQ_CB_MIN_CALLS,
        windowMs: vars.RQ_CB_WINDOW_MS,
        cooldownMs: vars.RQ_CB_COOLDOWN_MS,
        halfOpenProbes: vars.RQ_CB_PROBES,
      },
      autoscale: {
        policy: {
          ...DEFAULT_SCALING_POLICY,
          min: vars.RQ_AUTOSCALE_MIN,
          max: vars.RQ_AUTOSCALE_MAX,
          targetDrainSeconds: vars.RQ_AUTOSCALE_TARGET_DRAIN_SECONDS,
          fallbackJobSeconds: vars.RQ_AUTOSCALE_FALLBACK_JOB_MS / 1000,
          scaleOutCooldownMs: vars.RQ_AUTOSCALE_SCALE_OUT_COOLDOWN_MS,
          scaleInCooldownMs: vars.RQ_AUTOSCALE_SCALE_IN_COOLDOWN_MS,
        },
        intervalMs: vars.RQ_AUTOSCALE_INTERVAL_MS,
        restartBackoffMs: vars.RQ_AUTOSCALE_RESTART_BACKOFF_MS,
        restartBackoffMaxMs: vars.RQ_AUTOSCALE_RESTART_BACKOFF_MAX_MS,
      },
      blobs: blobs.config,
      handlersDir: vars.RQ_HANDLERS_DIR,
    },
  };
}

/** `parseConfig` for a program of one's own: the configuration, or one error naming every problem. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const parsed = parseConfig(env);
  if (!parsed.ok) throw new Error(`invalid worker configuration:\n  ${parsed.errors.join("\n  ")}`);
  return parsed.config;
}
