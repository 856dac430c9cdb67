/**
 * The shape of a job handler (`@rqueue/worker/handler`). A job type is one file
 * of a handlers folder (the built-in `handlers/`, or RQ_HANDLERS_DIR) whose
 * default export is `defineHandler({...})`, or a definition handed to
 * `runWorker` in code: its type name, payload schema (valibot), the function
 * that runs a job, and optional per-type settings.
 * Only types are imported from the engine, so a handler module stays cheap to
 * load inside a worker thread.
 */
import type { CircuitBreakerConfigInput } from "@rqueue/shared";
import type * as v from "valibot";

export interface HandlerJob<Payload> {
  id: string;
  queue: string;
  type: string;
  /** The payload as the handler's schema parsed it. */
  payload: Payload;
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
  /** Epoch ms. */
  createdAt: number;
  /** Ids of the jobs this one depended on (see `dependsOn`); empty for most jobs. */
  parentIds: string[];
}

export interface HandlerContext {
  /** Aborted on cancel, timeout, lost lease or shutdown; `signal.reason` says which. */
  signal: AbortSignal;
  attempt: number;
  /** Reports progress (0–100) with an optional small JSON detail. */
  progress(percent: number, detail?: unknown): Promise<void>;
  /** Adds a line to the job's log (bounded: the last 200 lines of up to 2,000 characters). */
  log(message: string): void;
  /** The results of the jobs this one depended on, by parent id (read when first asked). */
  parentResults(): Promise<Record<string, unknown>>;
}

export interface HandlerDefinition<Schema extends v.GenericSchema = v.GenericSchema> {
  /** The job type this handler runs, e.g. `send-email`. */
  type: string;
  /** Payloads that fail it dead-letter the job at once: retrying cannot fix them. */
  payload: Schema;
  /** Runs one job; the resolved value (JSON) becomes the job's result. */
  handle(job: HandlerJob<v.InferOutput<Schema>>, ctx: HandlerContext): unknown;
  /** Timeout of this type's jobs that set none themselves (default: the queue's). */
  timeoutMs?: number;
  /** The most jobs of this type one worker runs at once, per queue. */
  concurrency?: number;
  /** Caps the attempts of this type's jobs, whatever the producer asked for. */
  retry?: { maxAttempts: number };
  /**
   * `thread` runs the handler in a worker thread that is terminated when the job
   * times out or is canceled: for CPU-bound work that would ignore its AbortSignal.
   */
  isolation?: "main" | "thread";
  /** Thresholds of this type's circuit breaker (defaults from the environment), or false for none. */
  circuitBreaker?: CircuitBreakerConfigInput | false;
}

/** Identity at run time; gives the handler its payload type from the schema. */
export function defineHandler<Schema extends v.GenericSchema>(
  definition: HandlerDefinition<Schema>,
): HandlerDefinition<Schema> {
  return definition;
}
