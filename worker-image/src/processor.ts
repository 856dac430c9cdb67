/**
 * The processor: runs one leased job through its handler.
 *   - validates the payload with the handler's schema; an invalid payload
 *     dead-letters the job at once (UnrecoverableError), since no retry can fix it
 *   - gives the handler its context: abort signal, attempt, progress, and a log
 *     whose lines are batched into one fenced write per burst
 *   - runs it on the main thread, or in the thread pool for `isolation: "thread"`
 * Timeouts belong to the ConsumeLoop: it aborts the signal and fails the attempt
 * at once, and the thread pool terminates an isolated handler's thread.
 */
import {
  formatJobId,
  type JobContext,
  type JobHandler,
  type JobLogWriter,
  type LeasedJob,
  UnrecoverableError,
  ValidationError,
} from "@rqueue/shared";
import * as v from "valibot";
import type { HandlerContext, HandlerJob } from "./handler-definition.js";
import type { HandlerRegistry } from "./handler-registry.js";
import type { ThreadPool } from "./thread-pool.js";

export interface ProcessorOptions {
  registry: HandlerRegistry;
  threads: ThreadPool;
  /** The log writer of a queue. */
  logWriter(queue: string): JobLogWriter;
  /** Reads the results of a job's parents. */
  parentResults(job: LeasedJob): Promise<Record<string, unknown>>;
  onError(error: unknown, during: string): void;
}

/** Buffers a job's log lines so a burst of `log()` calls costs one round trip. */
class JobLog {
  private lines: string[] = [];
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly writer: JobLogWriter,
    private readonly job: LeasedJob,
    private readonly onError: ProcessorOptions["onError"],
  ) {}

  write(message: string): void {
    this.lines.push(String(message));
    if (this.lines.length === 1) this.sending = this.sending.then(() => this.send());
  }

  /** Resolves when every line written so far has been sent. */
  flushed(): Promise<void> {
    return this.sending;
  }

  private async send(): Promise<void> {
    const lines = this.lines;
    this.lines = [];
    try {
      // A lost lease drops the lines: the attempt that wrote them no longer counts.
      await this.writer.append(this.job, lines);
    } catch (error) {
      this.onError(error, "log");
    }
  }
}

/**
 * The handler's context for one job. What the handler does not use costs nothing:
 * the AbortSignal is the loop's (made when first read), the log buffer is made on
 * the first line, and `log` and `parentResults` are bound when first read, so
 * destructuring the context works.
 */
class HandlerRun implements HandlerContext {
  private jobLog: JobLog | undefined;
  private parents: Promise<Record<string, unknown>> | undefined;
  private boundLog: HandlerContext["log"] | undefined;
  private boundParentResults: HandlerContext["parentResults"] | undefined;

  constructor(
    private readonly job: LeasedJob,
    private readonly context: JobContext,
    private readonly options: ProcessorOptions,
  ) {}

  get signal(): AbortSignal {
    return this.context.signal;
  }

  get attempt(): number {
    return this.context.attempt;
  }

  get progress(): HandlerContext["progress"] {
    return this.context.progress;
  }

  get log(): HandlerContext["log"] {
    this.boundLog ??= (message) => {
      this.jobLog ??= new JobLog(this.options.logWriter(this.job.queue), this.job, this.options.onError);
      this.jobLog.write(message);
    };
    return this.boundLog;
  }

  get parentResults(): HandlerContext["parentResults"] {
    this.boundParentResults ??= () => {
      this.parents ??=
        this.job.parentSeqs.length > 0 ? this.options.parentResults(this.job) : Promise.resolve({});
      return this.parents;
    };
    return this.boundParentResults;
  }

  /** Resolves when every line logged so far has been sent; undefined when nothing was logged. */
  flushed(): Promise<void> | undefined {
    return this.jobLog?.flushed();
  }
}

/** The handler's result once its log lines are sent, failure or not. */
async function afterLog(result: PromiseLike<unknown>, run: HandlerRun): Promise<unknown> {
  try {
    return await result;
  } finally {
    await run.flushed();
  }
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as PromiseLike<unknown> | null)?.then === "function";

/**
 * The loop's handler. A handler that returns at once and logs nothing is answered
 * at once too (no promise), so the loop reports it without a turn of the event loop.
 */
export function createProcessor(options: ProcessorOptions): JobHandler {
  return (job: LeasedJob, context: JobContext) => {
    const loaded = options.registry.get(job.type);
    if (!loaded) throw new UnrecoverableError(`no handler for job type "${job.type}" in this worker`);
    const { definition, moduleUrl } = loaded;
    const parsed = v.safeParse(definition.payload, job.payload);
    if (!parsed.success) {
      const problem = ValidationError.fromValibot(parsed.issues, "payload").message;
      throw new UnrecoverableError(`invalid payload for job type "${job.type}": ${problem}`);
    }
    const handlerJob: HandlerJob<unknown> = {
      id: job.id,
      queue: job.queue,
      type: job.type,
      payload: parsed.output,
      attempt: job.attempt,
      maxAttempts: Math.min(job.maxAttempts, definition.retry?.maxAttempts ?? job.maxAttempts),
      createdAt: job.createdAt,
      parentIds: job.parentSeqs.map((seq) => formatJobId(job.queue, seq)),
    };
    const run = new HandlerRun(job, context, options);
    let result: unknown;
    try {
      result =
        definition.isolation === "thread"
          ? options.threads.run(moduleUrl, handlerJob, run)
          : definition.handle(handlerJob, run);
    } catch (error) {
      const flushed = run.flushed();
      if (!flushed) throw error;
      return flushed.then(() => Promise.reject(error));
    }
    if (isThenable(result)) return afterLog(result, run);
    const flushed = run.flushed();
    return flushed ? flushed.then(() => result) : result;
  };
}
