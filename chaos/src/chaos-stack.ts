/**
 * A real R-queue stack on loopback for the chaos suite and the soak: the control
 * plane (in this process, listening on a free port), worker processes (under the
 * autoscaling supervisor, or started one by one when a scenario must pick which one
 * it hurts), the chaos handler writing its ledger, an HTTP submitter that remembers
 * which jobs were acknowledged with 201, and a tail of the queue's events stream
 * (read continuously, so its cap never hides an event from the checks).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRedis, decodeEventSeqs, queueKeys, type RedisClient } from "@rqueue/shared";
import { loadConfig } from "../../control-plane/src/config/config.js";
import { createLogger } from "../../control-plane/src/logging/logger.js";
import { type RunningControlPlane, startControlPlane } from "../../control-plane/src/server/start-server.js";
import {
  startWorkerProcess,
  testEnv,
  type WorkerProcess,
} from "../../worker-image/src/testing/worker-process.js";
import { sleep, waitFor } from "./wait.js";

export const HANDLERS_DIR = fileURLToPath(new URL("./handlers/", import.meta.url));

export interface ChaosPayload {
  ms?: number;
  fail?: boolean;
  hang?: boolean;
  blockMs?: number;
  /** Which POST carried it (set by the stack): a job Redis holds but never acknowledged names its request. */
  post?: number;
}

/** Jobs Redis holds that the API never acknowledged with 201. */
export interface UnacknowledgedWrites {
  count: number;
  /** Of them, jobs written after the API had answered their request 503: never allowed. */
  afterRefusal: number;
  examples: string[];
}

/** One state change read from the events stream. */
export interface SeenEvent {
  event: string;
  reason?: string;
  at: number;
}

export interface StackOptions {
  redisUrl: string;
  queue: string;
  leaseMs?: number;
  /** Environment for every worker process on top of the test defaults. */
  workerEnv?: Record<string, string>;
  /** Environment for the control plane on top of the defaults. */
  controlPlaneEnv?: Record<string, string>;
}

export interface SubmitOptions {
  batch?: number;
  maxAttempts?: number;
  /** Pause between batches, to spread the load over the faults. */
  paceMs?: number;
  until?: () => boolean;
  /**
   * Each job carries an idempotency key, so a batch answered 503 and sent again never
   * makes a job twice: what a client does when a 503 may have been written (e.g.
   * `not_replicated`, with RQ_SUBMIT_REPLICAS).
   */
  idempotent?: boolean;
}

export class ChaosStack {
  readonly ledgerDir: string;
  /** Job id → when the API acknowledged it with 201. */
  readonly acked = new Map<string, number>();
  /** Job id → the state changes seen for it, in order. */
  readonly events = new Map<string, SeenEvent[]>();
  /** Submissions answered with something other than 201, by status (0: no answer). */
  readonly refused = new Map<number, number>();
  /** POST number → when its 503 answer arrived. */
  private readonly refusedAt = new Map<number, number>();
  private posts = 0;
  /** Worker pid → when a fault (kill -9, SIGSTOP) hit it. */
  readonly faultedPids = new Map<number, number>();
  readonly submitLatenciesMs: number[] = [];
  readonly workers: WorkerProcess[] = [];
  controlPlane: RunningControlPlane | undefined;
  readonly redis: RedisClient;
  private readonly tail: RedisClient;
  private tailing = false;
  private tailDone: Promise<void> = Promise.resolve();

  /**
   * With `alongside`, this stack is a second queue of that one's stack: same control
   * plane and ledger, workers started there (RQ_QUEUES naming both), its own
   * submissions, events tail and checks.
   */
  constructor(
    readonly options: StackOptions,
    private readonly alongside?: ChaosStack,
  ) {
    this.ledgerDir = alongside?.ledgerDir ?? mkdtempSync(join(tmpdir(), "rq-chaos-ledger-"));
    this.redis = createRedis(options.redisUrl);
    this.redis.on("error", () => {});
    this.tail = createRedis(options.redisUrl);
    this.tail.on("error", () => {});
  }

  get leaseMs(): number {
    return this.options.leaseMs ?? 1_000;
  }

  async start(): Promise<void> {
    if (this.alongside) {
      this.controlPlane = this.alongside.controlPlane;
      this.startTail();
      return;
    }
    const config = loadConfig({
      REDIS_URL: this.options.redisUrl,
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "silent",
      RQ_DASHBOARD_DIR: "/nonexistent-dashboard",
      RQ_MAINTAIN_INTERVAL_MS: "200",
      ...this.options.controlPlaneEnv,
    });
    this.controlPlane = await startControlPlane(config, createLogger("silent"));
    this.startTail();
  }

  workerEnvironment(extra: Record<string, string> = {}): Record<string, string> {
    return testEnv(this.options.redisUrl, {
      RQ_QUEUES: this.options.queue,
      RQ_HANDLERS_DIR: HANDLERS_DIR,
      RQ_CHAOS_LEDGER_DIR: this.ledgerDir,
      RQ_LEASE_MS: String(this.leaseMs),
      RQ_HEARTBEAT_MS: String(Math.max(50, Math.round(this.leaseMs / 4))),
      RQ_CONCURRENCY: "20",
      LOG_LEVEL: "info",
      ...this.options.workerEnv,
      ...extra,
    });
  }

  /** One worker process (not supervised), started and ready to take jobs. */
  async startWorker(extra: Record<string, string> = {}): Promise<WorkerProcess> {
    const worker = startWorkerProcess(this.workerEnvironment(extra));
    this.workers.push(worker);
    await worker.waitForLog((line) => line.msg === "worker started", 60_000);
    return worker;
  }

  /** The supervisor with a fixed pool of `count` workers, restarted when they crash. */
  async startSupervisor(count: number): Promise<WorkerProcess> {
    const supervisor = startWorkerProcess(
      this.workerEnvironment({
        RQ_AUTOSCALE_MIN: String(count),
        RQ_AUTOSCALE_MAX: String(count),
        RQ_AUTOSCALE_RESTART_BACKOFF_MS: "100",
        RQ_AUTOSCALE_RESTART_BACKOFF_MAX_MS: "500",
      }),
      ["--autoscale"],
    );
    this.workers.push(supervisor);
    await waitFor(() => livePids(supervisor).length >= count, 90_000, "supervised workers to start");
    await waitFor(
      () => supervisor.lines.filter((line) => line.msg === "worker started").length >= count,
      90_000,
      "supervised workers to be ready",
    );
    return supervisor;
  }

  /**
   * Submits up to `count` jobs over HTTP in batches, `paceMs` apart, stopping early
   * once `until()` holds; the 201s go to `acked`.
   */
  async submit(
    count: number,
    payload: (i: number) => ChaosPayload,
    options: SubmitOptions = {},
  ): Promise<void> {
    const batch = options.batch ?? 50;
    for (let start = 0; start < count && !options.until?.(); start += batch) {
      const size = Math.min(batch, count - start);
      const jobs = Array.from({ length: size }, (_, i) => ({
        type: "chaos",
        queue: this.options.queue,
        payload: payload(start + i),
        maxAttempts: options.maxAttempts ?? 3,
        backoff: { strategy: "fixed", delayMs: 50 },
        timeoutMs: 2_000,
        ...(options.idempotent ? { idempotencyKey: `${this.options.queue}-${start + i}` } : {}),
      }));
      await this.post(jobs);
      if (options.paceMs) await sleep(options.paceMs);
    }
  }

  /**
   * One batch. A 503 or no answer is retried for `retryForMs`, as a client told to
   * "retry shortly" does; whatever Redis holds that was never acknowledged is counted
   * afterwards (`unacknowledgedWrites`).
   */
  private async post(jobs: { payload: ChaosPayload }[], retryForMs = 15_000): Promise<void> {
    const url = `${this.controlPlane?.url}/v1/jobs/batch`;
    const giveUpAt = Date.now() + retryForMs;
    for (;;) {
      const started = performance.now();
      const post = ++this.posts;
      let status = 0;
      try {
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jobs: jobs.map((job) => ({ ...job, payload: { ...job.payload, post } })) }),
          signal: AbortSignal.timeout(10_000),
        });
        status = response.status;
        const body = (await response.json()) as { jobs?: { id: string }[] };
        if (status === 201) for (const job of body.jobs ?? []) this.acked.set(job.id, Date.now());
      } catch {
        // No answer (connection refused, reset or timed out): counted as status 0.
      }
      this.submitLatenciesMs.push(performance.now() - started);
      if (status === 201) return;
      if (status === 503) this.refusedAt.set(post, Date.now());
      this.refused.set(status, (this.refused.get(status) ?? 0) + jobs.length);
      if ((status !== 503 && status !== 0) || Date.now() > giveUpAt) return;
      await sleep(200);
    }
  }

  /**
   * Jobs Redis holds that the API never acknowledged. One written before its 503 is a
   * reply lost on the way (the write ran, the answer did not arrive: a client retrying
   * without an idempotency key submits it twice); one written after its 503 is a write
   * reported failed that applied later, which the request deadline must prevent.
   */
  async unacknowledgedWrites(): Promise<UnacknowledgedWrites> {
    const keys = queueKeys(this.options.queue);
    const last = Number(await this.redis.get(keys.sequence)) || 0;
    const found: UnacknowledgedWrites = { count: 0, afterRefusal: 0, examples: [] };
    for (let seq = 1; seq <= last; seq += 500) {
      const seqs = Array.from({ length: Math.min(500, last - seq + 1) }, (_, i) => seq + i).filter(
        (n) => !this.acked.has(`${this.options.queue}:${n}`),
      );
      const jobs = await Promise.all(seqs.map((n) => this.redis.hmget(keys.job(String(n)), "c", "d")));
      jobs.forEach(([created, payload], i) => {
        if (created === null) return;
        found.count++;
        const post = (JSON.parse(payload ?? "{}") as ChaosPayload).post;
        const refusedAt = post === undefined ? undefined : this.refusedAt.get(post);
        if (refusedAt !== undefined && Number(created) > refusedAt) {
          found.afterRefusal++;
          if (found.examples.length < 5) {
            found.examples.push(
              `job ${seqs[i]} written ${Number(created) - refusedAt} ms after post ${post}'s 503`,
            );
          }
        }
      });
    }
    return found;
  }

  private startTail(): void {
    this.tailing = true;
    const key = queueKeys(this.options.queue).events;
    const prefix = `${this.options.queue}:`;
    this.tailDone = (async () => {
      let last = "0";
      while (this.tailing) {
        let reply: StreamReply = null;
        try {
          reply = (await this.tail.xread("COUNT", 1_000, "BLOCK", 200, "STREAMS", key, last)) as StreamReply;
        } catch {
          await sleep(100);
          continue;
        }
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            last = id;
            const record: Record<string, string> = {};
            for (let i = 0; i + 1 < fields.length; i += 2)
              record[fields[i] as string] = fields[i + 1] as string;
            const at = Number(id.split("-")[0]);
            for (const seq of record.j ? decodeEventSeqs(record.j) : []) {
              const jobId = `${prefix}${seq}`;
              const seen = this.events.get(jobId) ?? [];
              seen.push({ event: record.e ?? "?", ...(record.reason ? { reason: record.reason } : {}), at });
              this.events.set(jobId, seen);
            }
          }
        }
      }
    })();
  }

  /** Pids of the worker processes running now (supervised or not). */
  workerPids(): number[] {
    return this.workers.flatMap((worker) =>
      worker.lines.some((line) => line.msg === "supervisor started")
        ? livePids(worker)
        : worker.child.exitCode === null && worker.child.signalCode === null
          ? [worker.pid]
          : [],
    );
  }

  signal(pid: number, signal: NodeJS.Signals): void {
    if (signal === "SIGKILL" || signal === "SIGSTOP") this.faultedPids.set(pid, Date.now());
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone: the fault it was meant to cause happened anyway.
    }
  }

  async stop(): Promise<void> {
    for (const worker of this.workers) {
      for (const pid of livePids(worker)) this.signal(pid, "SIGCONT");
      worker.child.kill("SIGCONT");
      worker.child.kill("SIGKILL");
    }
    await Promise.all(this.workers.map((worker) => worker.exited));
    for (const pid of this.workerPids()) this.signal(pid, "SIGKILL");
    this.tailing = false;
    await this.tailDone;
    if (!this.alongside) await this.controlPlane?.close();
    this.tail.disconnect();
    this.redis.disconnect();
    // The ledger has been judged by now; a stack alongside leaves it to the one that made it.
    if (!this.alongside) rmSync(this.ledgerDir, { recursive: true, force: true });
  }
}

/** Children of a supervisor that started and have not stopped. */
function livePids(supervisor: WorkerProcess): number[] {
  const live = new Set<number>();
  for (const line of supervisor.lines) {
    const pid = Number(line.childPid);
    if (line.msg === "worker process started") live.add(pid);
    else if (line.msg === "worker process stopped" || line.msg === "worker process crashed; restarting")
      live.delete(pid);
  }
  return [...live];
}

type StreamReply = [string, [string, string[]][]][] | null;
