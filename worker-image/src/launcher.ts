/**
 * The launcher: turns a validated configuration into a running worker and owns
 * its lifecycle.
 *   - start: connect, load handlers, store their circuit-breaker thresholds,
 *     then start heartbeat, task protection and the manager's loops
 *   - signals: SIGTERM/SIGINT (or the supervisor going away) start a graceful
 *     stop: take nothing more, drain running jobs up to the drain timeout, hand
 *     the rest back to pending, deregister, exit 0; a second signal exits at once
 *     (the leases bring the running jobs back)
 *   - Redis outages never end the process: the loops retry and resume
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import {
  configureCircuitBreaker,
  createRedis,
  isRedisUnavailable,
  type JobHandler,
  JobLogWriter,
  type RedisClient,
  warnOnEvictionPolicy,
} from "@rqueue/shared";
import { openBlobStore } from "@rqueue/shared/blobs";
import { resolveParentResults, withBlobOffload } from "./blob-handler.js";
import type { WorkerConfig } from "./config.js";
import type { HandlerDefinition } from "./handler-definition.js";
import { HANDLERS_DIR, type HandlerRegistry, loadHandlers, registryOf } from "./handler-registry.js";
import { Heartbeat } from "./heartbeat.js";
import { logJobEnd } from "./job-log-lines.js";
import { createLogger, describeError, type Logger } from "./logger.js";
import { Manager } from "./manager.js";
import { createProcessor } from "./processor.js";
import { exitCodeFor, onStopSignals } from "./signals.js";
import { TaskProtection } from "./task-protection.js";
import { ThreadPool } from "./thread-pool.js";
import { advertisements } from "./type-advertisement.js";

export const VERSION = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/** Which handlers a worker runs: by default the folder RQ_HANDLERS_DIR names, else the built-in ones. */
export interface HandlerSource {
  /** Definitions held by the program itself (not `isolation: "thread"`, which needs a module file). */
  handlers?: readonly HandlerDefinition[];
  /** A folder of handler modules, one per job type (overrides RQ_HANDLERS_DIR). */
  handlersDir?: string;
}

export interface StartOptions extends HandlerSource {
  logger?: Logger;
  registry?: HandlerRegistry;
  /** Aborting it during start-up stops the start (e.g. a signal while Redis is unreachable). */
  signal?: AbortSignal;
  /** Test hook: quicker housekeeping, hence quicker recovery of expired leases. */
  maintainEveryMs?: number;
}

export interface WorkerRuntime {
  readonly workerId: string;
  readonly manager: Manager;
  readonly heartbeat: Heartbeat;
  /** Graceful stop (idempotent): drain, hand back the rest, deregister, disconnect. */
  stop(): Promise<{ released: number }>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Logs the first connection error of an outage and then at most one every 10 s. */
function connectionLogger(logger: Logger) {
  let lastLoggedAt = 0;
  let failing = false;
  return {
    onError(error: Error) {
      failing = true;
      if (Date.now() - lastLoggedAt < 10_000) return;
      lastLoggedAt = Date.now();
      logger.warn("redis unreachable; retrying", describeError(error));
    },
    onReady() {
      if (failing) logger.info("redis connection restored");
      failing = false;
      lastLoggedAt = 0;
    },
  };
}

async function storeCircuitBreakers(
  redis: RedisClient,
  config: WorkerConfig,
  registry: HandlerRegistry,
): Promise<void> {
  const writes = config.queues.flatMap((queue) =>
    [...registry.values()].map(({ definition }) =>
      configureCircuitBreaker(
        redis,
        queue.name,
        definition.type,
        definition.circuitBreaker === false
          ? null
          : { ...config.circuitBreaker, ...definition.circuitBreaker },
      ),
    ),
  );
  await Promise.all(writes);
}

export async function startWorker(config: WorkerConfig, options: StartOptions = {}): Promise<WorkerRuntime> {
  const logger =
    options.logger ?? createLogger({ role: "worker", pid: process.pid }, { level: config.logLevel });
  const workerId = `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
  const registry =
    options.registry ??
    (options.handlers
      ? registryOf(options.handlers)
      : await loadHandlers(options.handlersDir ?? config.handlersDir ?? HANDLERS_DIR));
  const connection = connectionLogger(logger);
  const redis = createRedis(config.redisUrl, {
    password: config.redisPassword,
    tlsCa: config.redisTlsCa,
    connectionName: `rq-worker-${workerId}`,
    // A hung node fails its commands instead of holding the loops that use it forever.
    commandTimeoutMs: config.redisCommandTimeoutMs,
    onError: connection.onError,
  });
  redis.on("ready", connection.onReady);
  const onError = (error: unknown, during: string, queue?: string) =>
    logger.warn(`${during} failed`, {
      ...describeError(error),
      // Same classifier as the API's 503s: Redis not answering, as opposed to a bug.
      redisUnavailable: isRedisUnavailable(error),
      ...(queue ? { queue } : {}),
    });

  const threads = new ThreadPool(config.threads);
  const blobs = config.blobs ? openBlobStore(config.blobs) : null;
  const withBlobs = (handler: JobHandler) => (blobs ? withBlobOffload(handler, blobs) : handler);
  const logWriters = new Map<string, JobLogWriter>();
  const counters = { processed: 0, failed: 0 };
  const protection = config.ecsAgentUri
    ? new TaskProtection({
        agentUri: config.ecsAgentUri,
        expiresInMinutes: config.taskProtectionMinutes,
        onError,
      })
    : undefined;
  const unreplicatedLoggedAt = new Map<string, number>();
  const manager: Manager = new Manager({
    redis,
    workerId,
    queues: config.queues,
    concurrency: config.concurrency,
    leaseMs: config.leaseMs,
    replicaAck: config.replicaAck,
    onUnreplicated: (queue, outcomes) => {
      // Once per queue every 10 s: with no replica at all this happens on every report.
      const now = Date.now();
      if (now - (unreplicatedLoggedAt.get(queue) ?? 0) < 10_000) return;
      unreplicatedLoggedAt.set(queue, now);
      logger.warn("outcomes not yet on a replica; sending them again", { queue, outcomes });
    },
    registry,
    ...(options.maintainEveryMs ? { maintainEveryMs: options.maintainEveryMs } : {}),
    handler: withBlobs(
      createProcessor({
        registry,
        threads,
        onError,
        parentResults: async (job) =>
          blobs
            ? resolveParentResults(blobs.store, await manager.parentResults(job))
            : manager.parentResults(job),
        logWriter: (queue) => {
          let writer = logWriters.get(queue);
          if (!writer) {
            writer = new JobLogWriter(redis, queue);
            logWriters.set(queue, writer);
          }
          return writer;
        },
      }),
    ),
    onError,
    stallAfterMs: config.redisCommandTimeoutMs,
    onStall: (queue, stalledMs) =>
      logger.warn("queue loop stalled", {
        queue,
        stalledMs,
        hint: "no answer from the Redis node serving this queue; other queues go on",
      }),
    onResume: (queue, stalledMs) => logger.info("queue loop resumed", { queue, stalledMs }),
    onJobStart: () => protection?.update(manager.activeCount),
    onJobEnd: (job, outcome, durationMs, error) => {
      if (outcome === "completed" || outcome === "failed") counters.processed++;
      if (outcome === "failed") counters.failed++;
      protection?.update(manager.activeCount);
      logJobEnd(logger, job, outcome, durationMs, error);
    },
  });
  const heartbeat = new Heartbeat({
    redis,
    workerId,
    version: VERSION,
    queues: config.queues.map((queue) => queue.name),
    concurrency: config.concurrency,
    heartbeatMs: config.heartbeatMs,
    healthFile: config.healthFile,
    ecsMetadataUri: config.ecsMetadataUri,
    counters: () => ({ activeJobs: manager.activeCount, ...counters }),
    types: advertisements(registry),
    onError,
  });

  let stopping: Promise<{ released: number }> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      // Each step runs whatever the one before it did: a failure is reported, never a reason to skip.
      const released = await manager.stop(config.drainTimeoutMs).catch((error: unknown) => {
        onError(error, "drain");
        return 0;
      });
      await threads.close().catch((error: unknown) => onError(error, "thread pool"));
      await protection?.stop().catch((error: unknown) => onError(error, "task-protection"));
      await withTimeout(heartbeat.stop(), 2_000, "deregistering").catch((error) =>
        onError(error, "deregister"),
      );
      redis.disconnect();
      return { released };
    })();
    return stopping;
  };

  void warnOnEvictionPolicy(redis, (message) => logger.warn(message)).catch((error: unknown) =>
    onError(error, "eviction policy check"),
  );
  for (let attempt = 1; !options.signal?.aborted; attempt++) {
    try {
      await storeCircuitBreakers(redis, config, registry);
      break;
    } catch (error) {
      onError(error, "storing circuit-breaker thresholds");
      await sleep(Math.min(500 * attempt, 5_000));
    }
  }
  if (!options.signal?.aborted) {
    await heartbeat.start();
    manager.start();
    logger.info("worker started", {
      workerId,
      version: VERSION,
      queues: manager.concurrencyByQueue,
      types: [...registry.keys()],
      leaseMs: config.leaseMs,
    });
  }
  return { workerId, manager, heartbeat, stop };
}

/** Runs a worker until a signal, then stops it gracefully and exits the process. */
export async function runWorker(config: WorkerConfig, handlers: HandlerSource = {}): Promise<void> {
  const logger = createLogger({ role: "worker", pid: process.pid }, { level: config.logLevel });
  const shutdown = new AbortController();
  const graceful = (signal: string) => {
    logger.info("stopping: draining running jobs", { signal, drainTimeoutMs: config.drainTimeoutMs });
    shutdown.abort();
  };
  onStopSignals(graceful, (signal) => {
    logger.warn("second signal: exiting now; leases bring running jobs back", { signal });
    process.exit(exitCodeFor(signal));
  });
  // A child of the supervisor stops when the supervisor goes away, however it ended.
  if (process.send) process.once("disconnect", () => !shutdown.signal.aborted && graceful("supervisor-gone"));
  process.on("unhandledRejection", (reason) => logger.error("unhandled rejection", describeError(reason)));

  let runtime: WorkerRuntime;
  try {
    runtime = await startWorker(config, { ...handlers, logger, signal: shutdown.signal });
  } catch (error) {
    logger.error("worker failed to start", describeError(error));
    process.exit(1);
  }
  if (!shutdown.signal.aborted) {
    await new Promise((resolve) => shutdown.signal.addEventListener("abort", resolve, { once: true }));
  }
  const cpu = process.cpuUsage();
  const { released } = await runtime.stop();
  logger.info("worker stopped", {
    handedBack: released,
    cpuUserMs: Math.round(cpu.user / 1_000),
    cpuSystemMs: Math.round(cpu.system / 1_000),
  });
  process.exit(0);
}
