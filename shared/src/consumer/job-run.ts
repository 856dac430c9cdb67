/**
 * One run of a leased job: what a ConsumeLoop tracks while the handler works, and
 * the context the handler gets. A run costs only what the handler uses: its
 * AbortSignal is made when first read (Node builds an EventTarget for each one,
 * which on no-op jobs was a fifth of a worker's CPU), and `progress` and
 * `parentResults` are bound when first read, so destructuring them works.
 */
import type { LeasedJob } from "./leased-job.js";

export interface JobContext {
  /** Aborted on cancel, timeout, lost lease or shutdown; `signal.reason` says which. */
  readonly signal: AbortSignal;
  readonly attempt: number;
  /** Reports progress (0–100) with an optional small JSON detail. */
  progress(percent: number, detail?: unknown): Promise<void>;
  /** Results of the jobs this one depended on, keyed by parent id (read on demand). */
  parentResults(): Promise<Record<string, unknown>>;
}

export type AbortReason = "canceled" | "lease-lost" | "timeout" | "shutdown";

export class JobAbortedError extends Error {
  override name = "JobAbortedError";
  constructor(readonly reason: AbortReason) {
    super(`job aborted: ${reason}`);
  }
}

/** What a run asks of the loop that runs it. */
export interface RunHost {
  progress(run: JobRun, percent: number, detail: unknown): Promise<void>;
  parentResults(job: LeasedJob): Promise<Record<string, unknown>>;
}

export class JobRun implements JobContext {
  /** Finished, timed out, or given up: nothing about it is reported any more. */
  done = false;
  readonly startedAt = Date.now();
  private controller: AbortController | undefined;
  private abortedWith: JobAbortedError | undefined;
  private boundProgress: JobContext["progress"] | undefined;
  private boundParentResults: JobContext["parentResults"] | undefined;

  constructor(
    readonly job: LeasedJob,
    /** When the run times out, on `performance.now()`'s clock. */
    readonly deadline: number,
    readonly timeoutMs: number,
    private readonly host: RunHost,
  ) {}

  get attempt(): number {
    return this.job.attempt;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortedWith) this.controller.abort(this.abortedWith);
    }
    return this.controller.signal;
  }

  get progress(): JobContext["progress"] {
    this.boundProgress ??= (percent, detail) => this.host.progress(this, percent, detail);
    return this.boundProgress;
  }

  get parentResults(): JobContext["parentResults"] {
    this.boundParentResults ??= () => this.host.parentResults(this.job);
    return this.boundParentResults;
  }

  /** Aborts the signal, or, if nobody has read it yet, the one it will be when read. */
  abort(reason: AbortReason): void {
    const error = new JobAbortedError(reason);
    if (this.controller) this.controller.abort(error);
    else this.abortedWith ??= error;
  }
}
