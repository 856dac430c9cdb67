/**
 * Starts the control plane: Redis connection, services, HTTP server, queue
 * maintenance, and (when configured) the CloudWatch publisher, ECS reader and
 * the archive (migrated before the server listens).
 * `close()` is the graceful shutdown: stop being ready, stop accepting, answer
 * long polls with the current state, let in-flight requests finish (bounded by
 * the shutdown timeout), stop the timers, release the leader lease, close Redis.
 */
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { serve } from "@hono/node-server";
import { CLOUDWATCH_LEADER_KEY, createRedis, type RedisClient, warnOnEvictionPolicy } from "@rqueue/shared";
import { openBlobStore } from "@rqueue/shared/blobs";
import { createApp } from "../app/create-app.js";
import { createServices } from "../app/services.js";
import { archiveLagDatums } from "../archive/archive-cloudwatch.js";
import { ArchiveService } from "../archive/archive-service.js";
import { BlobRetention } from "../blobs/blob-retention.js";
import { createCloudWatchClient, createEcsClient } from "../cloud/aws-clients.js";
import { collectCloudMetrics } from "../cloud/cloud-metrics.js";
import { CloudWatchPublisher } from "../cloud/cloudwatch-publisher.js";
import { EcsReader } from "../cloud/ecs-reader.js";
import { LeaderLease } from "../cloud/leader-lease.js";
import { ScalingSignal } from "../cloud/scaling-signal.js";
import type { Config } from "../config/config.js";
import { commandTimeoutFor } from "../http/redis-deadline.js";
import type { Logger } from "../logging/logger.js";
import { LibraryPruneLoop } from "../maintenance/library-prune-loop.js";
import { MaintenanceLoop } from "../maintenance/maintenance-loop.js";
import { ScheduleLoop } from "../maintenance/schedule-loop.js";
import { StatsRollupLoop } from "../maintenance/stats-rollup-loop.js";
import { answerClientError } from "./client-errors.js";
import { listenError } from "./listen-error.js";

const STARTUP_REDIS_WAIT_MS = 5_000;

function readyWithin(redis: RedisClient, ms: number): Promise<boolean> {
  if (redis.status === "ready") return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      redis.off("ready", onReady);
      resolve(ready);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), ms);
    redis.on("ready", onReady);
  });
}

export interface RunningControlPlane {
  port: number;
  url: string;
  close(): Promise<void>;
}

export async function startControlPlane(config: Config, log: Logger): Promise<RunningControlPlane> {
  const redis = createRedis(config.redisUrl, {
    failFast: true,
    password: config.redisPassword,
    tlsCa: config.redisTlsCa,
    connectionName: "rq-control-plane",
    commandTimeoutMs: commandTimeoutFor(config.redisTimeoutMs),
  });
  let redisDown = false;
  redis.on("error", (error: Error) => {
    if (!redisDown) log.warn({ err: error.message }, "Redis connection error; retrying");
    redisDown = true;
  });
  redis.on("ready", () => {
    if (redisDown) log.info("Redis connection restored");
    redisDown = false;
    void warnOnEvictionPolicy(redis, (message) => log.error(message));
  });

  // Serving 503s for the first moments after start helps no one: give Redis a short while.
  if (!(await readyWithin(redis, STARTUP_REDIS_WAIT_MS))) {
    log.warn({ waitedMs: STARTUP_REDIS_WAIT_MS }, "Redis not reachable yet; serving 503 until it is");
  }

  const ecs = config.ecs
    ? new EcsReader({
        client: createEcsClient(config.ecs),
        cluster: config.ecs.cluster,
        service: config.ecs.service,
        cacheMs: config.ecs.cacheMs,
        log,
      })
    : null;
  const archive = config.archive
    ? await ArchiveService.open(config.archive, redis, log, () => services.queues.names())
    : null;
  const blobs = config.blobs ? openBlobStore(config.blobs) : null;
  const services = createServices(config, redis, log, ecs, archive, blobs);
  const blobRetention = blobs ? new BlobRetention(blobs.store, config.blobRetentionDays, log) : null;
  const app = createApp(services);

  const server = serve({ hostname: config.host, port: config.port, fetch: app.fetch });
  server.on("clientError", (error: Error, socket: Duplex) => answerClientError(error, socket, log));
  // Counted until each response is fully written, so shutdown never cuts one off mid-send.
  let inFlight = 0;
  let idle: (() => void) | undefined;
  server.on("request", (_request: unknown, response: NodeJS.EventEmitter) => {
    inFlight++;
    response.once("close", () => {
      inFlight--;
      if (inFlight === 0) idle?.();
    });
  });
  await new Promise<void>((resolve, reject) => {
    if (server.listening) resolve();
    server.once("listening", resolve);
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(listenError(error, config.host, config.port)),
    );
  });
  const port = (server.address() as AddressInfo).port;

  const maintenance = new MaintenanceLoop(services.queues, services.breaker, config.maintainIntervalMs, log);
  maintenance.start();
  const scheduleLoop = new ScheduleLoop(
    redis,
    services.queues,
    services.breaker,
    config.scheduleIntervalMs,
    log,
  );
  scheduleLoop.start();
  // History for the dashboard's charts; off together with maintenance (RQ_MAINTAIN_INTERVAL_MS=0).
  const statsRollup = new StatsRollupLoop(
    redis,
    services.queues,
    services.breaker,
    log,
    config.maintainIntervalMs > 0 ? undefined : 0,
  );
  statsRollup.start();
  const libraryPrune = new LibraryPruneLoop(
    redis,
    services.breaker,
    log,
    config.maintainIntervalMs > 0 ? undefined : 0,
  );
  libraryPrune.start();
  const cloudMetrics = {
    redis,
    registry: services.queues,
    configuredQueues: config.workers.queues,
    // One signal for the server's life: it remembers the pool it last asked ECS for.
    signal: new ScalingSignal(config.workers, ecs, config.cloudwatch?.intervalMs ?? 60_000),
    log,
  };
  const publisher = config.cloudwatch
    ? new CloudWatchPublisher({
        client: createCloudWatchClient(config.cloudwatch),
        lease: new LeaderLease(
          redis,
          CLOUDWATCH_LEADER_KEY,
          Math.max(config.cloudwatch.intervalMs * 3, 10_000),
        ),
        collect: async (timestamp) => [
          ...(await collectCloudMetrics(cloudMetrics, timestamp)),
          ...(archive ? await archiveLagDatums(archive, await services.queues.names(), timestamp) : []),
        ],
        intervalMs: config.cloudwatch.intervalMs,
        log,
      })
    : null;
  publisher?.start();
  await archive?.start();
  blobRetention?.start();

  return {
    port,
    url: `http://${config.host === "0.0.0.0" ? "127.0.0.1" : config.host}:${port}`,
    async close() {
      services.lifecycle.draining = true;
      server.close();
      services.events.close();
      services.eventHub.close();
      if ("closeIdleConnections" in server) server.closeIdleConnections();
      if (inFlight > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => {
            idle = resolve;
          }),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, config.shutdownTimeoutMs);
          }),
        ]);
        clearTimeout(timer);
        if (inFlight > 0) log.warn({ inFlight }, "shutdown timeout: closing remaining connections");
      }
      if ("closeIdleConnections" in server) server.closeIdleConnections();
      if ("closeAllConnections" in server) server.closeAllConnections();
      blobRetention?.stop();
      await Promise.all([
        maintenance.stop(),
        scheduleLoop.stop(),
        statsRollup.stop(),
        libraryPrune.stop(),
        publisher?.stop(),
        archive?.close(),
      ]);
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
