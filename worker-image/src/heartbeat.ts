/**
 * The worker's heartbeat: every `heartbeatMs` it writes its health snapshot to
 * the worker registry (id, host, pid, ECS task ARN, version, queues, concurrency,
 * active jobs, processed/failed counts, memory, event-loop lag) and touches the
 * health file that the container HEALTHCHECK reads. Lease renewal is the
 * ConsumeLoop's batched heartbeat, separate on purpose: it must run at a third
 * of the lease, the registry far less often. Each beat also advertises the job
 * types this worker handles on each of its queues (the type registry), and, once an
 * hour, records its script libraries as in use (so the control plane never prunes
 * them). On stop the worker deregisters and withdraws from its types.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { type IntervalHistogram, monitorEventLoopDelay } from "node:perf_hooks";
import {
  advertiseTypes,
  deregisterWorker,
  type RedisClient,
  recordHeartbeat,
  recordLibrariesInUse,
  type TypeAdvertisement,
  type WorkerSnapshot,
  withdrawTypes,
} from "@rqueue/shared";

export interface WorkerCounters {
  activeJobs: number;
  processed: number;
  failed: number;
}

export interface HeartbeatOptions {
  redis: RedisClient;
  workerId: string;
  version: string;
  queues: string[];
  concurrency: number;
  heartbeatMs: number;
  counters(): WorkerCounters;
  /** ECS task metadata endpoint (v4), when running on ECS. */
  ecsMetadataUri?: string | undefined;
  healthFile: string;
  /** The job types advertised on every queue with each beat (see type-advertisement.ts). */
  types?: readonly TypeAdvertisement[];
  onError(error: unknown, during: string): void;
}

const LAG_RESOLUTION_MS = 20;

/** The task ARN from the ECS task metadata endpoint v4, or null when it cannot be had. */
export async function fetchTaskArn(metadataUri: string, timeoutMs = 2_000): Promise<string | null> {
  const response = await fetch(`${metadataUri.replace(/\/$/, "")}/task`, {
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`task metadata endpoint answered ${response.status}`);
  const body = (await response.json()) as { TaskARN?: unknown };
  return typeof body.TaskARN === "string" ? body.TaskARN : null;
}

/** True when the health file was touched within `maxAgeMs` (the worker's event loop is alive). */
export function isHealthy(healthFile: string, maxAgeMs: number, now = Date.now()): boolean {
  try {
    const touchedAt = Number(readFileSync(healthFile, "utf8"));
    return Number.isFinite(touchedAt) && now - touchedAt <= maxAgeMs;
  } catch {
    return false;
  }
}

export class Heartbeat {
  private readonly startedAt = new Date().toISOString();
  private readonly lag: IntervalHistogram = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  private taskArn: string | null = null;
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> = Promise.resolve();

  constructor(private readonly options: HeartbeatOptions) {}

  async start(): Promise<void> {
    this.lag.enable();
    if (this.options.ecsMetadataUri) {
      try {
        this.taskArn = await fetchTaskArn(this.options.ecsMetadataUri);
      } catch (error) {
        this.options.onError(error, "task-metadata");
      }
    }
    this.beat();
    this.timer = setInterval(() => this.beat(), this.options.heartbeatMs);
  }

  snapshot(): WorkerSnapshot {
    const counters = this.options.counters();
    // The worst delay since the last beat: one long block is what expires leases, and a
    // percentile would hide it. The histogram counts the sampling interval itself.
    const lagMs = Math.max(0, this.lag.max / 1e6 - LAG_RESOLUTION_MS);
    return {
      id: this.options.workerId,
      host: hostname(),
      pid: process.pid,
      taskArn: this.taskArn,
      version: this.options.version,
      startedAt: this.startedAt,
      queues: this.options.queues,
      concurrency: this.options.concurrency,
      activeJobs: counters.activeJobs,
      processed: counters.processed,
      failed: counters.failed,
      memoryRssBytes: process.memoryUsage.rss(),
      eventLoopLagMs: Math.round(lagMs * 10) / 10,
      heartbeatMs: this.options.heartbeatMs,
    };
  }

  /** Stops beating and removes the worker from the registry. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.lag.disable();
    await this.beating;
    rmSync(this.options.healthFile, { force: true });
    const { redis, workerId, queues, types = [] } = this.options;
    const names = types.map((ad) => ad.type);
    await Promise.all([
      deregisterWorker(redis, workerId),
      ...queues.map((queue) => withdrawTypes(redis, queue, workerId, names)),
    ]);
  }

  private beat(): void {
    // Touched whatever Redis does: the health check judges this process, and
    // restarting it would not bring Redis back.
    try {
      writeFileSync(this.options.healthFile, String(Date.now()));
    } catch (error) {
      this.options.onError(error, "health-file");
    }
    const snapshot = this.snapshot();
    this.lag.reset();
    const { redis, workerId, queues, heartbeatMs, types = [] } = this.options;
    // Types first: a worker listed in the registry has its types registered too, so
    // whoever waits for a worker before submitting is not refused its types.
    this.beating = Promise.all(
      queues.map((queue) =>
        advertiseTypes(redis, queue, workerId, heartbeatMs, types).then(
          (refused) => {
            if (refused > 0) {
              this.options.onError(
                new Error(`the type registry of queue ${queue} is full`),
                "advertising types",
              );
            }
          },
          (error: unknown) => this.options.onError(error, "advertising types"),
        ),
      ),
    )
      .then(() => recordHeartbeat(redis, snapshot))
      .catch((error: unknown) => this.options.onError(error, "heartbeat"))
      // At most once an hour per connection: what keeps this version's scripts loaded.
      .then(() => recordLibrariesInUse(redis))
      .then(
        () => undefined,
        (error: unknown) => this.options.onError(error, "recording script libraries"),
      );
  }
}
