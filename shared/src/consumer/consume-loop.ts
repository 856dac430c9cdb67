/**
 * `ConsumeLoop`: runs a handler over one queue's jobs with bounded concurrency.
 * Responsibilities:
 *   - fetch: one settle-and-take call reports every finished job and fills every
 *     free slot; when the queue is empty, block on the wake-up marker (no polling)
 *   - heartbeat: renew all held leases in one call; abort jobs whose lease is lost
 *     (canceled, or re-leased after a stall) and drop their late results
 *   - timeouts: a job over its timeout is aborted and its attempt fails at once
 *   - housekeeping: run the queue's idempotent maintenance on a jittered timer
 *   - drain: on stop, take nothing more, wait for running jobs up to a deadline,
 *     then hand the rest back to pending without counting the attempt
 * Redis errors never end the loop: outcomes are kept and re-sent after a backoff,
 * and a job whose lease expired meanwhile is re-run elsewhere (never lost). A batch
 * the settle script refuses is split, so one bad outcome cannot hold back the rest.
 * Each loop judges only its own queue's node: when its settles get no answer for
 * `stallAfterMs` (a hung or failing master) it reports a stall once, and a recovery
 * when one succeeds again; loops of other queues are not held up by it.
 *
 * The same job can come back to this loop (canceled and retried, or re-leased
 * after its lease expired) while its previous run is still going: the previous run
 * is aborted, and only the run that is current for the job is forgotten when it ends.
 *
 * Per job the loop does no more than it must (a no-op drain spends most of its CPU
 * here): one run object that is also the handler's context, and no timer of its
 * own — one timer per loop is armed for the earliest deadline of the running jobs.
 */
import { isScriptFault } from "../errors.js";
import type { Consumer } from "./consumer.js";
import { type AbortReason, type JobContext, JobRun, type RunHost } from "./job-run.js";
import type { LeasedJob, Outcome } from "./leased-job.js";

export { type AbortReason, JobAbortedError, type JobContext } from "./job-run.js";

export type JobHandler = (job: LeasedJob, context: JobContext) => unknown;

export interface ConsumeLoopOptions {
  consumer: Consumer;
  handler: JobHandler;
  concurrency: number;
  /** Timeout for jobs that set none; defaults to the queue settings' default. */
  defaultTimeoutMs?: number;
  /** Per job type: the timeout of its jobs that set none (before `defaultTimeoutMs`). */
  typeTimeoutsMs?: Readonly<Record<string, number>>;
  /** Per job type: the most of its jobs this loop runs at once (within `concurrency`). */
  typeConcurrency?: Readonly<Record<string, number>>;
  /**
   * Per job type: the most attempts any of its jobs gets, whatever the producer
   * asked. A failure (error or timeout) on the last allowed attempt dead-letters.
   * Lease expiry is judged by Redis alone and follows the job's own maxAttempts.
   */
  typeMaxAttempts?: Readonly<Record<string, number>>;
  /** How often leases are renewed; default a third of the lease. */
  heartbeatMs?: number;
  /** Longest single blocking wait, which also bounds how late housekeeping can run. */
  maxBlockMs?: number;
  /** How often this process runs queue housekeeping (jittered ±25%). */
  maintainEveryMs?: number;
  /** How long settles may go unanswered before the loop reports a stall (default 10 s). */
  stallAfterMs?: number;
  /** The loop has had no answer from Redis for `stalledMs` although it has work to report or take. */
  onStall?: (stalledMs: number) => void;
  /** A settle succeeded again after a reported stall that lasted `stalledMs`. */
  onResume?: (stalledMs: number) => void;
  onError?: (error: unknown, during: string) => void;
  onJobStart?: (job: LeasedJob) => void;
  /** `error` is the failed attempt's error, for logging it. */
  onJobEnd?: (
    job: LeasedJob,
    outcome: Outcome["kind"] | AbortReason,
    durationMs: number,
    error?: unknown,
  ) => void;
}

/** The options that stay unset when not given: the loop has no default for them. */
type UndefaultedOption =
  | "onJobStart"
  | "onJobEnd"
  | "typeTimeoutsMs"
  | "typeConcurrency"
  | "typeMaxAttempts"
  | "onStall"
  | "onResume";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class ConsumeLoop {
  /** The current run of each job by seq (a job leased again replaces, and aborts, its previous run). */
  private readonly active = new Map<string, JobRun>();
  /** The one timeout timer, armed for `timeoutAt` (performance.now()), the earliest deadline when armed. */
  private timeoutTimer: NodeJS.Timeout | undefined;
  private timeoutAt = Number.POSITIVE_INFINITY;
  /** What the runs call back: a progress report whose lease is gone aborts the run. */
  private readonly host: RunHost = {
    progress: async (run, percent, detail) => {
      const status = await this.options.consumer.progress(run.job, percent, detail);
      if (!status.ok) this.abandon(run, status.state === "canceled" ? "canceled" : "lease-lost");
    },
    parentResults: (job) => this.options.consumer.parentResults(job),
  };
  private outcomes: Outcome[] = [];
  /** Outcomes of a batch the settle script refused: sent alone until each is recorded. */
  private suspects: Outcome[] = [];
  private readonly sanitized = new WeakSet<Outcome>();
  private stopping = false;
  private finished: Promise<void> | undefined;
  private notify: (() => void) | undefined;
  private blockingWait: Promise<boolean> | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private maintenanceTimer: NodeJS.Timeout | undefined;
  private readonly options: Required<Omit<ConsumeLoopOptions, UndefaultedOption>> &
    Pick<ConsumeLoopOptions, UndefaultedOption>;
  /** Since when settles have gone unanswered (null: the last one succeeded). */
  private unansweredSince: number | null = null;
  private stalled = false;
  private stallTimer: NodeJS.Timeout | undefined;

  constructor(options: ConsumeLoopOptions) {
    const leaseMs = options.consumer.leaseMs;
    this.options = {
      defaultTimeoutMs: options.consumer.settings.defaultTimeoutMs,
      heartbeatMs: Math.max(Math.floor(leaseMs / 3), 10),
      maxBlockMs: 5_000,
      maintainEveryMs: 1_000,
      stallAfterMs: 10_000,
      onError: () => {},
      ...options,
    };
  }

  /** Jobs running now. */
  get activeCount(): number {
    return this.active.size;
  }

  get activeJobs(): LeasedJob[] {
    return [...this.active.values()].map((running) => running.job);
  }

  start(): void {
    if (this.finished) return;
    this.finished = this.run();
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.options.heartbeatMs);
    this.stallTimer = setInterval(() => this.checkStall(), Math.max(this.options.stallAfterMs / 4, 10));
    this.stallTimer.unref();
    this.scheduleMaintenance();
  }

  /**
   * Stops taking jobs, waits up to `drainMs` for running ones, then hands the rest
   * back to pending. Returns how many were handed back.
   */
  async stop(drainMs = 0): Promise<number> {
    this.stopping = true;
    this.wake();
    const deadline = Date.now() + drainMs;
    while (this.active.size > 0 && Date.now() < deadline) await sleep(Math.min(50, deadline - Date.now()));
    const leftovers = [...this.active.values()];
    for (const running of leftovers) this.abandon(running, "shutdown");
    const released = await this.releaseQuietly(leftovers.map((running) => running.job));
    clearInterval(this.heartbeatTimer);
    clearInterval(this.stallTimer);
    clearTimeout(this.maintenanceTimer);
    clearTimeout(this.timeoutTimer);
    await this.finished;
    await this.options.consumer.close();
    return released;
  }

  /**
   * Up to two settle calls are in flight at once, so Redis runs one batch's script
   * while this process runs the jobs of the other: throughput is bounded by the
   * slower of the two rather than by their sum.
   */
  private get halfPool(): number {
    return Math.ceil(this.options.concurrency / 2);
  }

  private async run(): Promise<void> {
    let idle = false;
    let failures = 0;
    let retryAt = 0;
    // On this process's monotonic clock: Redis says how far ahead, never when.
    let nextDueAt: number | null = null;
    let inFlight = 0;
    let reserved = 0;
    const settle = async (batch: Outcome[], take: number, typeLimits: Record<string, number> | undefined) => {
      this.unansweredSince ??= Date.now();
      const sentAt = performance.now();
      try {
        const result = await this.options.consumer.settle(batch, take, typeLimits);
        this.answered();
        failures = 0;
        if (this.stopping) {
          // Taken while a stop began: hand them straight back rather than start them.
          await this.releaseQuietly(result.taken);
        } else if (
          result.taken.length > 0 &&
          performance.now() - sentAt >= this.options.consumer.leaseMs / 2
        ) {
          // The answer took half a lease to be handled (this process stalled: SIGSTOP, a
          // blocked event loop, a slow network): the leases may have expired and the jobs
          // gone to another worker. Hand them back rather than maybe run them twice.
          await this.releaseQuietly(result.taken);
        } else {
          for (const job of result.taken) this.launch(job);
        }
        if (take > 0) {
          idle = result.taken.length < take;
          nextDueAt = result.nextDueInMs === null ? null : performance.now() + result.nextDueInMs;
        }
      } catch (error) {
        this.options.onError(error, "settle");
        // A refusal is an answer: the node is serving.
        if (isScriptFault(error)) this.answered();
        if (isScriptFault(error) && batch.length > 0) {
          this.isolate(batch);
        } else {
          this.outcomes = batch.concat(this.outcomes);
          failures++;
          retryAt = Date.now() + Math.min(100 * 2 ** failures, 2_000);
        }
      } finally {
        inFlight--;
        reserved -= take;
        this.wake();
      }
    };
    // While stopping, the loop still reports the outcomes of jobs that finish during the drain.
    while (
      !this.stopping ||
      this.active.size > 0 ||
      this.outcomes.length > 0 ||
      this.suspects.length > 0 ||
      inFlight > 0
    ) {
      if (this.stopping && failures > 3 && inFlight === 0) return;
      const suspect = inFlight === 0 ? this.suspects.shift() : undefined;
      if (suspect) {
        inFlight++;
        void settle([suspect], 0, undefined);
        continue;
      }
      const free = this.stopping ? 0 : this.options.concurrency - this.active.size - reserved;
      // Reporting outcomes also fills free slots; an idle queue is not asked for work alone.
      // Half the pool per call keeps two batches alternating between Redis and this process.
      const take = idle && this.outcomes.length === 0 ? 0 : Math.max(Math.min(free, this.halfPool), 0);
      const ready = Date.now() >= retryAt;
      if (ready && inFlight < 2 && (this.outcomes.length > 0 || take > 0)) {
        const batch = this.outcomes;
        this.outcomes = [];
        inFlight++;
        reserved += take;
        void settle(batch, take, this.freeTypeSlots(inFlight > 1));
        continue;
      }
      const changed = new Promise<void>((resolve) => {
        this.notify = resolve;
      });
      if (!ready) {
        await Promise.race([sleep(retryAt - Date.now()), changed]);
      } else if (idle && free > 0 && inFlight === 0) {
        const untilDue = nextDueAt === null ? Number.POSITIVE_INFINITY : nextDueAt - performance.now();
        const wait = this.waitForWork(Math.max(1, Math.min(this.options.maxBlockMs, untilDue)));
        // Redis times a blocking command out only when its event loop turns (every 100 ms
        // when idle, at hz 10): a due time at hand (a rate limit's next slot) is kept here.
        const due =
          untilDue < this.options.maxBlockMs
            ? sleep(Math.max(untilDue, 1)).then(() => "due" as const)
            : undefined;
        const woken = await Promise.race(due ? [wait, changed, due] : [wait, changed]);
        idle = woken !== "due" && this.blockingWait !== undefined;
      } else {
        await changed;
      }
    }
  }

  /**
   * A refused batch is re-sent one outcome at a time. An outcome refused alone is
   * replaced by a failed attempt that says why (the job is retried or dead-lettered
   * like any failure); if even that is refused, it is dropped and the job's lease
   * expiry brings it back: nothing is lost, and nothing else waits on it.
   */
  private isolate(batch: Outcome[]): void {
    if (batch.length > 1) {
      this.suspects = batch.concat(this.suspects);
      return;
    }
    const [outcome] = batch as [Outcome];
    if (this.sanitized.has(outcome)) {
      this.options.onError(
        new Error(`dropped an outcome of job ${outcome.lease.seq} that Redis refused`),
        "settle",
      );
      return;
    }
    const replacement: Outcome = {
      lease: outcome.lease,
      kind: "failed",
      error: new Error("the job's outcome could not be recorded (Redis refused its encoding)"),
      reason: "encoding-error",
    };
    this.sanitized.add(replacement);
    this.suspects.unshift(replacement);
  }

  /** Hands jobs back to pending; never throws (their leases would bring them back anyway). */
  private async releaseQuietly(jobs: readonly LeasedJob[]): Promise<number> {
    if (jobs.length === 0) return 0;
    try {
      const statuses = await this.options.consumer.release(jobs);
      return statuses.filter((status) => status.ok).length;
    } catch (error) {
      this.options.onError(error, "release");
      return 0;
    }
  }

  /** One blocking wait at a time; when it ends (signal or timeout) the loop tries to take again. */
  private waitForWork(timeoutMs: number): Promise<unknown> {
    if (!this.blockingWait) {
      this.blockingWait = this.options.consumer
        .waitForWork(timeoutMs)
        .catch(async (error) => {
          if (!this.stopping) {
            this.options.onError(error, "wait");
            await sleep(500);
          }
          return false;
        })
        .finally(() => {
          this.blockingWait = undefined;
        });
    }
    return this.blockingWait;
  }

  private answered(): void {
    const since = this.unansweredSince;
    this.unansweredSince = null;
    if (this.stalled && since !== null) {
      this.stalled = false;
      this.options.onResume?.(Date.now() - since);
    }
  }

  private checkStall(): void {
    const since = this.unansweredSince;
    if (this.stalled || since === null) return;
    const stalledMs = Date.now() - since;
    if (stalledMs < this.options.stallAfterMs) return;
    this.stalled = true;
    this.options.onStall?.(stalledMs);
  }

  /**
   * Per-type free slots for a take. While another take is in flight its jobs are
   * not known yet, so capped types get no slot at all rather than risk the cap.
   */
  private freeTypeSlots(anotherInFlight: boolean): Record<string, number> | undefined {
    const caps = this.options.typeConcurrency;
    if (!caps) return undefined;
    if (anotherInFlight) return Object.fromEntries(Object.keys(caps).map((type) => [type, 0]));
    const free: Record<string, number> = { ...caps };
    for (const { job } of this.active.values()) {
      const slots = free[job.type];
      if (slots !== undefined) free[job.type] = slots - 1;
    }
    return free;
  }

  private wake(): void {
    const notify = this.notify;
    this.notify = undefined;
    notify?.();
  }

  private launch(job: LeasedJob): void {
    // Leased again while a previous run goes on: that run lost its lease.
    const previous = this.active.get(job.seq);
    if (previous) this.abandon(previous, "lease-lost");
    const timeoutMs =
      job.timeoutMs ?? this.options.typeTimeoutsMs?.[job.type] ?? this.options.defaultTimeoutMs;
    const run = new JobRun(job, performance.now() + timeoutMs, timeoutMs, this.host);
    this.active.set(job.seq, run);
    if (run.deadline < this.timeoutAt) this.armTimeout(run.deadline);
    this.options.onJobStart?.(job);
    let result: unknown;
    try {
      result = this.options.handler(job, run);
    } catch (error) {
      this.finish(run, { lease: job, kind: "failed", error });
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (value) => this.finish(run, { lease: job, kind: "completed", result: value }),
        (error) => this.finish(run, { lease: job, kind: "failed", error }),
      );
    } else {
      this.finish(run, { lease: job, kind: "completed", result });
    }
  }

  private finish(run: JobRun, outcome: Outcome): void {
    if (run.done) return; // already timed out, canceled or handed back
    run.done = true;
    this.forget(run);
    const cap = this.options.typeMaxAttempts?.[run.job.type];
    const lastAllowed = outcome.kind === "failed" && cap !== undefined && run.job.attempt >= cap;
    this.outcomes.push(lastAllowed ? { ...outcome, unrecoverable: true } : outcome);
    const error = outcome.kind === "failed" ? outcome.error : undefined;
    this.options.onJobEnd?.(run.job, outcome.kind, Date.now() - run.startedAt, error);
    this.wake();
  }

  /**
   * Arms the timeout timer for `at`. It is left armed when the job it was armed for
   * ends: when it fires it times out what is due and re-arms for the next deadline.
   */
  private armTimeout(at: number): void {
    clearTimeout(this.timeoutTimer);
    this.timeoutAt = at;
    this.timeoutTimer = setTimeout(() => this.timeOutDue(), Math.max(at - performance.now(), 1));
  }

  private timeOutDue(): void {
    this.timeoutTimer = undefined;
    this.timeoutAt = Number.POSITIVE_INFINITY;
    const now = performance.now();
    const due: JobRun[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const run of this.active.values()) {
      if (run.deadline <= now) due.push(run);
      else if (run.deadline < next) next = run.deadline;
    }
    for (const run of due) this.timeOut(run);
    if (next < this.timeoutAt) this.armTimeout(next);
  }

  private timeOut(run: JobRun): void {
    if (run.done) return;
    run.abort("timeout");
    this.finish(run, {
      lease: run.job,
      kind: "failed",
      error: new Error(`job timed out after ${run.timeoutMs} ms`),
      reason: "timeout",
    });
  }

  /** Stops tracking a job whose outcome must not be reported (lease gone or handed back). */
  private abandon(run: JobRun, reason: AbortReason): void {
    if (run.done) return;
    run.done = true;
    this.forget(run);
    run.abort(reason);
    this.options.onJobEnd?.(run.job, reason, Date.now() - run.startedAt);
    this.wake();
  }

  private forget(run: JobRun): void {
    if (this.active.get(run.job.seq) === run) this.active.delete(run.job.seq);
  }

  private async heartbeat(): Promise<void> {
    const running = [...this.active.values()];
    if (running.length === 0) return;
    try {
      const statuses = await this.options.consumer.extendLeases(running.map((entry) => entry.job));
      statuses.forEach((status, index) => {
        const entry = running[index];
        if (!status.ok && entry) this.abandon(entry, status.state === "canceled" ? "canceled" : "lease-lost");
      });
    } catch (error) {
      this.options.onError(error, "heartbeat");
    }
  }

  private scheduleMaintenance(): void {
    const every = this.options.maintainEveryMs;
    this.maintenanceTimer = setTimeout(
      async () => {
        try {
          await this.options.consumer.maintain();
        } catch (error) {
          this.options.onError(error, "maintain");
        }
        if (!this.stopping) this.scheduleMaintenance();
      },
      every * (0.75 + Math.random() * 0.5),
    );
  }
}
