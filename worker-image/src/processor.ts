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

export function createProcessor(options: ProcessorOptions): JobHandler {
  return async (job: LeasedJob, context: JobContext) => {
    const loaded = options.registry.get(job.type);
    if (!loaded) throw new UnrecoverableError(`no handler for job type "${job.type}" in this worker`);
    const { definition, moduleUrl } = loaded;
    const parsed = v.safeParse(definition.payload, job.payload);
    if (!parsed.success) {
      const problem = ValidationError.fromValibot(parsed.issues, "payload").message;
      throw new UnrecoverableError(`invalid payload for job type "${job.type}": ${problem}`);
    }
    const log = new JobLog(options.logWriter(job.queue), job, options.onError);
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
    let parents: Promise<Record<string, unknown>> | undefined;
    const handlerContext: HandlerContext = {
      signal: context.signal,
      attempt: context.attempt,
      progress: context.progress,
      log: (message) => log.write(message),
      parentResults: () => {
        parents ??= job.parentSeqs.length > 0 ? options.parentResults(job) : Promise.resolve({});
        return parents;
      },
    };
    try {
      return definition.isolation === "thread"
        ? await options.threads.run(moduleUrl, handlerJob, handlerContext)
        : await definition.handle(handlerJob, handlerContext);
    } finally {
      await log.flushed();
    }
  };
}
