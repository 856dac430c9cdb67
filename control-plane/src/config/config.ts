/**
 * The control plane's configuration: read from the environment once at start,
 * validated with valibot, and either returned whole or rejected with one line per
 * problem (main prints them and exits 1). Nothing else reads process.env.
 */

import {
  DEFAULT_ARCHIVE_HOLD,
  LIMITS,
  MAX_QUEUE_BYTES,
  REDIS_URL_MESSAGE,
  REDIS_URL_PATTERN,
  redisTlsCa,
} from "@rqueue/shared";
import { type BlobConfig, parseBlobConfig } from "@rqueue/shared/blobs";
import * as v from "valibot";
import type { ArchiveConfig } from "../archive/archive-service.js";
import type { WorkerFleet } from "../cloud/scaling-signal.js";
import { parseAllowlist } from "../http/scrape-auth.js";
import type { SubmitRate } from "../http/submit-rate-limit.js";
import { type ApiKey, parseApiKeys, type Role } from "./api-keys.js";
import { int } from "./env-number.js";
import { loadWorkerFleet } from "./worker-fleet.js";

export interface CloudWatchConfig {
  region: string;
  intervalMs: number;
  endpoint: string | undefined;
}

export interface EcsConfig {
  region: string;
  cluster: string;
  service: string;
  cacheMs: number;
  endpoint: string | undefined;
}

export interface Config {
  production: boolean;
  host: string;
  port: number;
  redisUrl: string;
  redisPassword: string | undefined;
  /** PEM certificates to trust for Redis over TLS (REDIS_TLS_CA_FILE); system CAs when unset. */
  redisTlsCa: string | undefined;
  apiKeys: ApiKey[];
  /** IPs and CIDR ranges that may scrape GET /metrics without a key. */
  metricsAllow: string[];
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  bodyLimitBytes: number;
  /** How long a request body may take to arrive before it is answered 408. */
  bodyTimeoutMs: number;
  /** Replicas each write of jobs waits for (Redis WAIT; 0: off); see QueueOptions.replicaAck. */
  submitAck: { replicas: number; timeoutMs: number };
  /** The least role that sees worker stack traces in job errors; "none" hides them from everyone. */
  stacksRole: Role | "none";
  /** Jobs per second each API key may submit (0: no limit), and its burst. */
  submitRate: SubmitRate;
  /** Deadline for a request's Redis work before it is answered 503. */
  redisTimeoutMs: number;
  /** How often queues' maintain() runs; 0 turns it off. */
  maintainIntervalMs: number;
  /** How often the due schedules of every queue are fired; 0 turns it off. */
  scheduleIntervalMs: number;
  /** The dashboard's build, served at / when the folder exists. */
  dashboardDir: string;
  shutdownTimeoutMs: number;
  cloudwatch: CloudWatchConfig | null;
  ecs: EcsConfig | null;
  /** The worker service the scaling decision is published for (its queues, concurrency, policy). */
  workers: WorkerFleet;
  /** The durable archive of finished jobs; null when neither RQ_ARCHIVE_URL nor RQ_ARCHIVE_DIR is set. */
  archive: ArchiveConfig | null;
  /** Blob store for large payloads and results (RQ_BLOB_DIR or RQ_BLOB_S3_BUCKET); null when off. */
  blobs: BlobConfig | null;
  /** Days a blob is kept: the archive's retention when there is one, else past Redis's longest (8). */
  blobRetentionDays: number;
  /** Every queue's memory budget in accounted bytes (QueueSettings.maxQueueBytes; 0: none). */
  queueMaxBytes: number;
  /** Whether queues without their own setting refuse job types no worker ever registered. */
  requireRegisteredTypes: boolean;
  /** Server-Sent Event streams (GET /v1/events) one API key may hold open at once. */
  eventStreamsPerKey: number;
  /** How often an event stream sends a heartbeat comment. */
  eventHeartbeatMs: number;
  /** Non-fatal findings to log once the logger exists. */
  warnings: string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
  }
}

const flag = v.optional(v.picklist(["", "0", "1", "false", "true"], "must be 1/true or 0/false"), "0");
const text = v.optional(v.pipe(v.string(), v.trim()));

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

export const EnvSchema = v.object({
  NODE_ENV: v.optional(v.string(), "development"),
  // Default: loopback while the API is open (no keys), every interface once it has keys.
  HOST: v.optional(v.pipe(v.string(), v.nonEmpty("must not be empty"))),
  PORT: int(8080, 0, 65_535),
  REDIS_URL: v.optional(
    v.pipe(v.string(), v.regex(REDIS_URL_PATTERN, REDIS_URL_MESSAGE)),
    "redis://127.0.0.1:6379",
  ),
  REDIS_PASSWORD: text,
  REDIS_TLS_CA_FILE: text,
  RQ_API_KEYS: text,
  RQ_METRICS_ALLOW: text,
  LOG_LEVEL: v.optional(v.picklist(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(", ")}`), "info"),
  RQ_BODY_LIMIT_BYTES: int(1024 * 1024, 1024, 64 * 1024 * 1024),
  RQ_BODY_TIMEOUT_MS: int(10_000, 100, 600_000),
  RQ_SUBMIT_REPLICAS: int(0, 0, 16),
  RQ_SUBMIT_REPLICAS_TIMEOUT_MS: int(500, 1, 60_000),
  RQ_SUBMIT_RATE: int(0, 0, 1_000_000),
  RQ_SUBMIT_BURST: v.optional(v.pipe(v.string(), v.trim(), v.regex(/^\d+$/, "must be a whole number"))),
  RQ_STACKS_ROLE: v.optional(
    v.picklist(["read", "submit", "admin", "none"], "must be read, submit, admin or none"),
    "admin",
  ),
  RQ_REDIS_TIMEOUT_MS: int(2_000, 50, 60_000),
  RQ_MAINTAIN_INTERVAL_MS: int(1_000, 0, 3_600_000),
  RQ_SCHEDULE_INTERVAL_MS: int(500, 0, 60_000),
  RQ_DASHBOARD_DIR: v.optional(v.string(), "dashboard/dist"),
  RQ_SHUTDOWN_TIMEOUT_MS: int(25_000, 0, 600_000),
  RQ_CLOUDWATCH: flag,
  RQ_CLOUDWATCH_INTERVAL_S: int(60, 1, 3_600),
  AWS_REGION: text,
  AWS_DEFAULT_REGION: text,
  RQ_AWS_ENDPOINT: v.optional(v.pipe(v.string(), v.url("must be a URL"))),
  RQ_ECS_CLUSTER: text,
  RQ_ECS_SERVICE: text,
  RQ_ECS_CACHE_MS: int(15_000, 0, 3_600_000),
  RQ_ARCHIVE_URL: v.optional(
    v.pipe(v.string(), v.trim(), v.regex(/^(postgres|postgresql):\/\/\S*$/, "must be a postgres:// URL")),
  ),
  RQ_ARCHIVE_PASSWORD: text,
  RQ_ARCHIVE_DIR: text,
  RQ_ARCHIVE_RETENTION_DAYS: int(30, 1, 3_650),
  RQ_ARCHIVER: v.optional(v.picklist(["0", "1", "false", "true"], "must be 1/true or 0/false"), "1"),
  RQ_ARCHIVE_CLAIM_IDLE_MS: int(30_000, 100, 3_600_000),
  RQ_REQUIRE_REGISTERED_TYPES: v.optional(
    v.picklist(["0", "1", "false", "true"], "must be 1/true or 0/false"),
    "1",
  ),
  RQ_QUEUE_MAX_BYTES: int(0, 0, MAX_QUEUE_BYTES),
  RQ_EVENT_STREAMS_PER_KEY: int(10, 1, 1_000),
  RQ_EVENT_HEARTBEAT_MS: int(15_000, 100, 300_000),
  RQ_ARCHIVE_HOLD_MAX_JOBS: int(DEFAULT_ARCHIVE_HOLD.holdMaxJobs, 1, 100_000_000),
  RQ_ARCHIVE_STREAM_MAX_LEN: int(DEFAULT_ARCHIVE_HOLD.streamMaxLen, 10_000, 100_000_000),
  RQ_ARCHIVE_HOLD_HOURS: int(DEFAULT_ARCHIVE_HOLD.holdTtlMs / 3_600_000, 1, 24 * 90),
});

/** The archive URL with RQ_ARCHIVE_PASSWORD in it (a secret injected apart from the URL, as ECS does). */
function withPassword(url: string, password: string | undefined): string {
  if (!password) return url;
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}

/** Reads and checks the configuration; throws ConfigError listing every problem. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = v.safeParse(EnvSchema, env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.issues.map((issue) => `${v.getDotPath(issue) ?? "environment"}: ${issue.message}`),
    );
  }
  const e = parsed.output;
  const problems: string[] = [];
  const production = e.NODE_ENV === "production";
  const keys = parseApiKeys(e.RQ_API_KEYS);
  problems.push(...keys.problems);
  const metricsAllow = parseAllowlist(e.RQ_METRICS_ALLOW);
  problems.push(...metricsAllow.problems);
  if (production && keys.keys.length === 0 && keys.problems.length === 0) {
    problems.push("RQ_API_KEYS: required when NODE_ENV=production (the API would be open to anyone)");
  }
  const region = e.AWS_REGION || e.AWS_DEFAULT_REGION || "";
  const cloudwatchOn = e.RQ_CLOUDWATCH === "1" || e.RQ_CLOUDWATCH === "true";
  if (cloudwatchOn && !region) problems.push("AWS_REGION: required when RQ_CLOUDWATCH=1");
  const ecsOn = Boolean(e.RQ_ECS_CLUSTER || e.RQ_ECS_SERVICE);
  if (ecsOn && !(e.RQ_ECS_CLUSTER && e.RQ_ECS_SERVICE)) {
    problems.push("RQ_ECS_CLUSTER and RQ_ECS_SERVICE: set both or neither");
  }
  if (ecsOn && !region) problems.push("AWS_REGION: required when RQ_ECS_CLUSTER is set");
  const tls = redisTlsCa(e.REDIS_URL, e.REDIS_TLS_CA_FILE || undefined);
  if (!tls.ok) problems.push(tls.problem);
  const workers = loadWorkerFleet(env);
  problems.push(...workers.problems);
  const blobs = parseBlobConfig(env);
  if (!blobs.ok) problems.push(...blobs.problems);
  if (problems.length > 0 || !workers.fleet || !blobs.ok || !tls.ok) throw new ConfigError(problems);
  const archiveOn = Boolean(e.RQ_ARCHIVE_URL || e.RQ_ARCHIVE_DIR);

  return {
    production,
    host: e.HOST ?? (keys.keys.length === 0 ? "127.0.0.1" : "0.0.0.0"),
    port: e.PORT,
    redisUrl: e.REDIS_URL,
    redisPassword: e.REDIS_PASSWORD || undefined,
    redisTlsCa: tls.tlsCa,
    apiKeys: keys.keys,
    metricsAllow: metricsAllow.entries,
    logLevel: e.LOG_LEVEL,
    // Payloads go to the blob store up to its own limit: the body limit must let them in.
    bodyLimitBytes:
      blobs.config && env.RQ_BODY_LIMIT_BYTES === undefined
        ? blobs.config.maxBytes + 64 * 1024
        : e.RQ_BODY_LIMIT_BYTES,
    bodyTimeoutMs: e.RQ_BODY_TIMEOUT_MS,
    submitAck: { replicas: e.RQ_SUBMIT_REPLICAS, timeoutMs: e.RQ_SUBMIT_REPLICAS_TIMEOUT_MS },
    stacksRole: e.RQ_STACKS_ROLE,
    // The default burst holds a full batch, so any batch can go through after a quiet spell.
    submitRate: {
      perSecond: e.RQ_SUBMIT_RATE,
      burst: e.RQ_SUBMIT_BURST
        ? Math.max(1, Number(e.RQ_SUBMIT_BURST))
        : Math.max(e.RQ_SUBMIT_RATE, LIMITS.batchJobs),
    },
    redisTimeoutMs: e.RQ_REDIS_TIMEOUT_MS,
    maintainIntervalMs: e.RQ_MAINTAIN_INTERVAL_MS,
    scheduleIntervalMs: e.RQ_SCHEDULE_INTERVAL_MS,
    dashboardDir: e.RQ_DASHBOARD_DIR,
    shutdownTimeoutMs: e.RQ_SHUTDOWN_TIMEOUT_MS,
    cloudwatch: cloudwatchOn
      ? { region, intervalMs: e.RQ_CLOUDWATCH_INTERVAL_S * 1000, endpoint: e.RQ_AWS_ENDPOINT }
      : null,
    ecs:
      e.RQ_ECS_CLUSTER && e.RQ_ECS_SERVICE
        ? {
            region,
            cluster: e.RQ_ECS_CLUSTER,
            service: e.RQ_ECS_SERVICE,
            cacheMs: e.RQ_ECS_CACHE_MS,
            endpoint: e.RQ_AWS_ENDPOINT,
          }
        : null,
    blobs: blobs.config,
    blobRetentionDays: archiveOn ? e.RQ_ARCHIVE_RETENTION_DAYS : 8,
    archive: archiveOn
      ? {
          url: e.RQ_ARCHIVE_URL ? withPassword(e.RQ_ARCHIVE_URL, e.RQ_ARCHIVE_PASSWORD) : null,
          dir: e.RQ_ARCHIVE_URL ? null : (e.RQ_ARCHIVE_DIR as string),
          retentionDays: e.RQ_ARCHIVE_RETENTION_DAYS,
          runArchiver: e.RQ_ARCHIVER === "1" || e.RQ_ARCHIVER === "true",
          claimIdleMs: e.RQ_ARCHIVE_CLAIM_IDLE_MS,
          hold: {
            holdMaxJobs: e.RQ_ARCHIVE_HOLD_MAX_JOBS,
            streamMaxLen: e.RQ_ARCHIVE_STREAM_MAX_LEN,
            holdTtlMs: e.RQ_ARCHIVE_HOLD_HOURS * 3_600_000,
          },
        }
      : null,
    workers: workers.fleet,
    queueMaxBytes: e.RQ_QUEUE_MAX_BYTES,
    requireRegisteredTypes: e.RQ_REQUIRE_REGISTERED_TYPES === "1" || e.RQ_REQUIRE_REGISTERED_TYPES === "true",
    eventStreamsPerKey: e.RQ_EVENT_STREAMS_PER_KEY,
    eventHeartbeatMs: e.RQ_EVENT_HEARTBEAT_MS,
    warnings: keys.warnings,
  };
}
