/**
 * The supervisor (`rqueue-worker --autoscale`): runs between RQ_AUTOSCALE_MIN and
 * RQ_AUTOSCALE_MAX worker processes on this host, sized by the same time-based
 * policy the control plane publishes for ECS (shared/src/scaling/scaling-policy.ts):
 * enough workers to finish its queues' backlog (pending + due scheduled) and running
 * jobs within RQ_AUTOSCALE_TARGET_DRAIN_SECONDS, at the run time the engine measured.
 *   - scale-out starts processes at once; scale-in stops one at a time with
 *     SIGTERM, so the child drains and hands back like any graceful shutdown
 *   - a child that exits unasked is restarted after a backoff that doubles with
 *     each crash in a row
 *   - SIGTERM/SIGINT stops every child gracefully and waits for them; a second
 *     signal kills them. Children also stop if the supervisor dies (IPC channel).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import {
  createRedis,
  decideScaling,
  Queue,
  type QueueLoad,
  type RedisClient,
  readQueueLoad,
  type ScalingDecision,
} from "@rqueue/shared";
import type { WorkerConfig } from "./config.js";
import { isHealthy } from "./heartbeat.js";
import { createLogger, describeError, type Logger } from "./logger.js";
import { exitCodeFor, onStopSignals } from "./signals.js";

export interface SupervisorOptions {
  config: WorkerConfig;
  /** Starts one worker process; by default this same program without `--autoscale`. */
  spawnWorker?: (healthFile: string) => ChildProcess;
  logger?: Logger;
}

interface Child {
  process: ChildProcess;
  startedAt: number;
  /** Asked to stop: its exit is not a crash. */
  healthFile: string;
  stopping: boolean;
  exited: Promise<void>;
}

/** A child that ran this long before crashing starts a fresh backoff. */
const STABLE_AFTER_MS = 30_000;

function spawnThisProgram(healthFile: string): ChildProcess {
  const entry = process.argv[1];
  if (!entry) throw new Error("cannot tell which script to run as a worker");
  return spawn(process.execPath, [...process.execArgv, entry], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, RQ_HEALTH_FILE: healthFile },
    // Its own process group: a terminal's Ctrl-C reaches only the supervisor, which
    // then stops each child once; a second signal in the child would cut its drain short.
    detached: true,
  });
}

export class Supervisor {
  private readonly children = new Set<Child>();
  private readonly queues: Queue[];
  private readonly redis: RedisClient;
  private readonly logger: Logger;
  private readonly spawnWorker: (healthFile: string) => ChildProcess;
  private spawned = 0;
  private restartsPending = 0;
  private crashesInARow = 0;
  private lastScaleOutAt: number | null = null;
  private lastScaleInAt: number | null = null;
  private timer: NodeJS.Timeout | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private ticking = false;
  private stopping = false;

  constructor(private readonly options: SupervisorOptions) {
    const { config } = options;
    this.logger =
      options.logger ??
      createLogger({ role: "supervisor", pid: process.pid }, { level: options.config.logLevel });
    this.spawnWorker = options.spawnWorker ?? spawnThisProgram;
    // Fail fast: a tick that cannot measure is skipped, never queued behind an outage.
    this.redis = createRedis(config.redisUrl, {
      password: config.redisPassword,
      tlsCa: config.redisTlsCa,
      failFast: true,
    });
    this.queues = config.queues.map((queue) => new Queue({ redis: this.redis, name: queue.name }));
  }

  /** Workers the policy counts: running and not stopping, plus crashed ones awaiting restart. */
  get current(): number {
    let running = 0;
    for (const child of this.children) if (!child.stopping) running++;
    return running + this.restartsPending;
  }

  start(): void {
    for (let i = 0; i < this.options.config.autoscale.policy.min; i++) this.spawn();
    this.timer = setInterval(() => void this.tick(), this.options.config.autoscale.intervalMs);
    this.healthTimer = setInterval(() => this.reportHealth(), this.options.config.heartbeatMs);
    this.reportHealth();
  }

  /**
   * Touches the supervisor's health file (what `--healthcheck` reads) only while every
   * child is healthy: one hung worker makes the whole container unhealthy. A child gets
   * three heartbeats after its start to write its first beat.
   */
  private reportHealth(): void {
    const { healthFile, heartbeatMs } = this.options.config;
    const now = Date.now();
    const allHealthy = [...this.children].every(
      (child) =>
        child.stopping ||
        now - child.startedAt < heartbeatMs * 3 ||
        isHealthy(child.healthFile, heartbeatMs * 3, now),
    );
    if (allHealthy && !this.stopping) writeFileSync(healthFile, String(now));
  }

  /** Backlog, running jobs and measured run time of each supervised queue. */
  measure(): Promise<QueueLoad[]> {
    return Promise.all(this.queues.map((queue) => readQueueLoad(queue)));
  }

  /** Stops every child gracefully and waits for them to exit. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    clearInterval(this.healthTimer);
    rmSync(this.options.config.healthFile, { force: true });
    const children = [...this.children];
    for (const child of children) this.stopChild(child);
    await Promise.all(children.map((child) => child.exited));
    this.redis.disconnect();
  }

  /** Kills every child at once (second signal): their leases bring the jobs back. */
  kill(): void {
    for (const child of this.children) child.process.kill("SIGKILL");
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.stopping) return;
    this.ticking = true;
    try {
      const queues = await this.measure();
      const now = Date.now();
      const decision = decideScaling(this.options.config.autoscale.policy, {
        queues,
        slots: this.options.config.concurrency,
        current: this.current,
        now,
        lastScaleOutAt: this.lastScaleOutAt,
        lastScaleInAt: this.lastScaleInAt,
      });
      this.apply(decision, now, queues);
    } catch (error) {
      this.logger.warn("could not measure the backlog; keeping the pool as it is", describeError(error));
    } finally {
      this.ticking = false;
    }
  }

  private apply(decision: ScalingDecision, now: number, queues: QueueLoad[]): void {
    const current = this.current;
    if (decision.desired === current) return;
    this.logger.info(decision.desired > current ? "scaling out" : "scaling in", {
      from: current,
      to: decision.desired,
      reason: decision.reason,
      backlog: queues.reduce((sum, queue) => sum + queue.backlog, 0),
      processing: queues.reduce((sum, queue) => sum + queue.processing, 0),
      jobSeconds: queues.map((queue) => queue.jobSeconds),
    });
    if (decision.desired > current) {
      this.lastScaleOutAt = now;
      for (let i = current; i < decision.desired; i++) this.spawn();
      return;
    }
    this.lastScaleInAt = now;
    for (let i = decision.desired; i < current; i++) {
      if (this.restartsPending > 0) {
        this.restartsPending--;
        continue;
      }
      const newest = [...this.children].filter((child) => !child.stopping).at(-1);
      if (newest) this.stopChild(newest);
    }
  }

  private spawn(): void {
    // Each child has its own health file; the supervisor's own file vouches for all of them.
    const healthFile = `${this.options.config.healthFile}.${++this.spawned}`;
    const worker = this.spawnWorker(healthFile);
    const child: Child = {
      process: worker,
      healthFile,
      startedAt: Date.now(),
      stopping: false,
      exited: new Promise((resolve) => worker.once("exit", () => resolve())),
    };
    this.children.add(child);
    this.logger.info("worker process started", { childPid: worker.pid, workers: this.current });
    worker.once("exit", (code, signal) => this.onExit(child, code, signal));
    // A spawn failure (e.g. EAGAIN) also ends in "exit"; only keep it from being an uncaught error.
    worker.on("error", (error) => this.logger.warn("worker process error", describeError(error)));
  }

  private stopChild(child: Child): void {
    child.stopping = true;
    child.process.kill("SIGTERM");
  }

  private onExit(child: Child, code: number | null, signal: NodeJS.Signals | null): void {
    this.children.delete(child);
    rmSync(child.healthFile, { force: true });
    if (child.stopping || this.stopping) {
      this.logger.info("worker process stopped", { childPid: child.process.pid, code, signal });
      return;
    }
    if (Date.now() - child.startedAt > STABLE_AFTER_MS) this.crashesInARow = 0;
    this.crashesInARow++;
    const { restartBackoffMs, restartBackoffMaxMs } = this.options.config.autoscale;
    const delayMs = Math.min(restartBackoffMs * 2 ** (this.crashesInARow - 1), restartBackoffMaxMs);
    this.logger.warn("worker process crashed; restarting", {
      childPid: child.process.pid,
      code,
      signal,
      delayMs,
    });
    this.restartsPending++;
    setTimeout(() => {
      if (this.stopping || this.restartsPending === 0) return;
      this.restartsPending--;
      this.spawn();
    }, delayMs);
  }
}

/** Runs the supervisor until a signal, then stops the children gracefully and exits. */
export async function runSupervisor(config: WorkerConfig): Promise<void> {
  const logger = createLogger({ role: "supervisor", pid: process.pid }, { level: config.logLevel });
  const supervisor = new Supervisor({ config, logger });
  onStopSignals(
    (signal) => {
      logger.info("stopping worker processes gracefully", { signal });
      void supervisor.stop().then(() => {
        logger.info("supervisor stopped");
        process.exit(0);
      });
    },
    (signal) => {
      logger.warn("second signal: killing worker processes", { signal });
      supervisor.kill();
      process.exit(exitCodeFor(signal));
    },
  );
  supervisor.start();
  logger.info("supervisor started", { policy: config.autoscale.policy, queues: config.queues });
}
