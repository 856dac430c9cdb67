/**
 * A pool of worker threads for handlers with `isolation: "thread"`: at most
 * `maxThreads` jobs run at once (the rest wait for a thread), idle threads are
 * reused, and a job that is aborted (timeout, cancel, lost lease, shutdown) has
 * its thread terminated, which stops even a loop that never yields. Progress and
 * log calls made in the thread are relayed to the job's context here.
 */
import { Worker } from "node:worker_threads";
import { UnrecoverableError } from "@rqueue/shared";
import type { HandlerContext, HandlerJob } from "./handler-definition.js";

export type ThreadRequest =
  | { kind: "run"; moduleUrl: string; job: HandlerJob<unknown>; parentResults: Record<string, unknown> }
  | { kind: "progress-ack"; id: number; error?: string };

export interface SerializedError {
  name: string;
  message: string;
  stack?: string | undefined;
}

export type ThreadReply =
  | { kind: "done"; result: unknown }
  | { kind: "failed"; error: SerializedError }
  | { kind: "log"; message: string }
  | { kind: "progress"; id: number; percent: number; detail?: unknown };

const FROM_SOURCE = import.meta.url.endsWith(".ts");

function spawnThread(): Worker {
  const entry = new URL(`./thread-worker${FROM_SOURCE ? ".ts" : ".js"}`, import.meta.url);
  if (!FROM_SOURCE) return new Worker(entry);
  // Run from TypeScript sources (dev, tests): worker threads do not inherit the
  // parent's `--import tsx` hook on Node 20, so the thread registers it itself.
  const tsx = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true, execArgv: ["--conditions=development"] });
}

function reviveError({ name, message, stack }: SerializedError): Error {
  const error = name === "UnrecoverableError" ? new UnrecoverableError(message) : new Error(message);
  error.name = name;
  if (stack) error.stack = stack;
  return error;
}

export class ThreadPool {
  private readonly live = new Set<Worker>();
  private readonly idle: Worker[] = [];
  private readonly waiting: ((worker: Worker) => void)[] = [];

  constructor(private readonly maxThreads: number) {}

  /** Threads alive now (busy or idle). */
  get threadCount(): number {
    return this.live.size;
  }

  /** Runs one job of the handler module in a thread; rejects with the signal's reason when aborted. */
  async run(moduleUrl: string, job: HandlerJob<unknown>, ctx: HandlerContext): Promise<unknown> {
    // Read here, so the thread's parentResults() needs no round trip back.
    const parentResults = job.parentIds.length > 0 ? await ctx.parentResults() : {};
    const worker = await this.acquire(ctx.signal);
    return new Promise((resolve, reject) => {
      const finish = (reusable: boolean, settle: () => void) => {
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
        ctx.signal.removeEventListener("abort", onAbort);
        if (reusable) this.release(worker);
        else this.discard(worker);
        settle();
      };
      const onMessage = (reply: ThreadReply) => {
        switch (reply.kind) {
          case "log":
            ctx.log(reply.message);
            break;
          case "progress":
            ctx.progress(reply.percent, reply.detail).then(
              () => worker.postMessage({ kind: "progress-ack", id: reply.id } satisfies ThreadRequest),
              (error: unknown) =>
                worker.postMessage({
                  kind: "progress-ack",
                  id: reply.id,
                  error: error instanceof Error ? error.message : String(error),
                } satisfies ThreadRequest),
            );
            break;
          case "done":
            finish(true, () => resolve(reply.result));
            break;
          case "failed":
            finish(true, () => reject(reviveError(reply.error)));
            break;
        }
      };
      const onError = (error: Error) => finish(false, () => reject(error));
      const onExit = (code: number) =>
        finish(false, () => reject(new Error(`handler thread exited with code ${code}`)));
      const onAbort = () => finish(false, () => reject(ctx.signal.reason));
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.on("exit", onExit);
      ctx.signal.addEventListener("abort", onAbort, { once: true });
      worker.postMessage({ kind: "run", moduleUrl, job, parentResults } satisfies ThreadRequest);
    });
  }

  /** Terminates every thread; running jobs see their thread exit. */
  async close(): Promise<void> {
    const threads = [...this.live];
    this.live.clear();
    this.idle.length = 0;
    await Promise.all(threads.map((worker) => worker.terminate()));
  }

  private acquire(signal: AbortSignal): Promise<Worker> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const idle = this.idle.pop();
    if (idle) return Promise.resolve(idle);
    if (this.live.size < this.maxThreads) return Promise.resolve(this.spawn());
    return new Promise((resolve, reject) => {
      const waiter = (worker: Worker) => {
        signal.removeEventListener("abort", onAbort);
        resolve(worker);
      };
      const onAbort = () => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private spawn(): Worker {
    const worker = spawnThread();
    this.live.add(worker);
    // An idle thread that dies on its own must not be handed out again.
    worker.once("exit", () => {
      const index = this.idle.indexOf(worker);
      if (index >= 0) this.idle.splice(index, 1);
      if (this.live.delete(worker)) this.serveWaiting();
    });
    return worker;
  }

  private release(worker: Worker): void {
    if (!this.live.has(worker)) return;
    const next = this.waiting.shift();
    if (next) next(worker);
    else this.idle.push(worker);
  }

  private discard(worker: Worker): void {
    this.live.delete(worker);
    void worker.terminate();
    this.serveWaiting();
  }

  private serveWaiting(): void {
    while (this.waiting.length > 0 && this.live.size < this.maxThreads) {
      const next = this.waiting.shift();
      next?.(this.spawn());
    }
  }
}
