/**
 * Wake-ups for long polls (GET /v1/jobs/:id/wait), from the queues' event streams.
 * They ride on the EventHub's tails, the same blocking reader per queue that feeds
 * GET /v1/events, so a process holds one blocking connection per watched queue
 * whatever mix of long polls and event streams watches it, and never more than the
 * hub's cap. Past the cap a long poll still answers: it re-reads its job every
 * POLL_MS instead of holding a connection of its own.
 *
 * No lost wake-up: `watch()` settles once the tail's position is fixed, *before* the
 * caller reads the job, and a tail is never past the stream's end, so any change
 * made after the caller's read is delivered.
 */
import { decodeQueueEvent } from "@rqueue/shared";
import type { EventHub, StreamEntry } from "../events/event-hub.js";
import { ApiError } from "../http/api-error.js";

/** How often a long poll past the hub's cap re-reads its job. */
const POLL_MS = 1_000;

type Wake = () => void;

/** changed: re-read the job; timeout: the time is up; closing: the server is shutting down. */
export type WatchResult = "changed" | "timeout" | "closing";

export interface JobWatch {
  next(timeoutMs: number): Promise<WatchResult>;
  close(): void;
}

/** The long polls of one queue, woken by one listener on its tail. */
interface QueueWaiters {
  wakes: Map<string, Set<Wake>>;
  size: number;
  /** Settles once the tail delivers (or the hub refused: `polling`). */
  ready: Promise<void>;
  polling: boolean;
  unsubscribe: (() => void) | undefined;
}

export class JobEvents {
  private readonly queues = new Map<string, QueueWaiters>();
  private closed = false;

  constructor(private readonly hub: EventHub) {}

  /** Starts watching one job. Call before reading the job; close() the watch when done. */
  async watch(queue: string, seq: string): Promise<JobWatch> {
    if (this.closed) return { next: async () => "closing", close: () => {} };
    const waiters = this.waitersOf(queue);
    // A wake that arrives while the caller is busy re-reading is kept for its next().
    let pending = false;
    let resolveWait: ((result: WatchResult) => void) | undefined;
    const wake: Wake = () => {
      if (resolveWait) resolveWait(this.closed ? "closing" : "changed");
      else pending = true;
    };
    let set = waiters.wakes.get(seq);
    if (!set) {
      set = new Set();
      waiters.wakes.set(seq, set);
    }
    set.add(wake);
    waiters.size++;
    const close = () => this.remove(queue, waiters, seq, wake);
    try {
      await waiters.ready;
    } catch (error) {
      close();
      throw error;
    }
    return {
      next: (timeoutMs) => {
        if (this.closed) return Promise.resolve("closing");
        if (pending) {
          pending = false;
          return Promise.resolve("changed");
        }
        return new Promise<WatchResult>((resolve) => {
          const polled = waiters.polling && timeoutMs > POLL_MS;
          const timer = setTimeout(
            () => finish(polled ? "changed" : "timeout"),
            polled ? POLL_MS : timeoutMs,
          );
          const finish = (result: WatchResult) => {
            clearTimeout(timer);
            resolveWait = undefined;
            resolve(result);
          };
          resolveWait = finish;
        });
      },
      close,
    };
  }

  /** Queues with long polls riding on a tail (past the cap they poll and are not counted). */
  get activeReaders(): number {
    return [...this.queues.values()].filter((waiters) => !waiters.polling).length;
  }

  /** Wakes every waiter (they answer with the job's current state) and lets go of the tails. */
  close(): void {
    this.closed = true;
    for (const waiters of this.queues.values()) {
      for (const set of waiters.wakes.values()) for (const wake of set) wake();
      waiters.unsubscribe?.();
    }
    this.queues.clear();
  }

  private waitersOf(queue: string): QueueWaiters {
    const existing = this.queues.get(queue);
    if (existing) return existing;
    const waiters: QueueWaiters = {
      wakes: new Map(),
      size: 0,
      polling: false,
      unsubscribe: undefined,
      ready: Promise.resolve(),
    };
    waiters.ready = this.hub
      .subscribe(queue, (entries) => this.dispatch(waiters, entries))
      .then(
        (unsubscribe) => {
          // Everyone left (or the server closed) while the tail was starting.
          if (this.queues.get(queue) !== waiters) unsubscribe();
          else waiters.unsubscribe = unsubscribe;
        },
        (error: unknown) => {
          if (error instanceof ApiError && error.code === "too_many_queues_watched") {
            waiters.polling = true;
            return;
          }
          if (this.queues.get(queue) === waiters) this.queues.delete(queue);
          throw error;
        },
      );
    this.queues.set(queue, waiters);
    return waiters;
  }

  private dispatch(waiters: QueueWaiters, entries: readonly StreamEntry[]): void {
    for (const [, fields] of entries) {
      for (const seq of decodeQueueEvent(fields).seqs) {
        const set = waiters.wakes.get(seq);
        if (set) for (const wake of [...set]) wake();
      }
    }
  }

  private remove(queue: string, waiters: QueueWaiters, seq: string, wake: Wake): void {
    const set = waiters.wakes.get(seq);
    if (!set?.delete(wake)) return;
    waiters.size--;
    if (set.size === 0) waiters.wakes.delete(seq);
    if (waiters.size > 0 || this.queues.get(queue) !== waiters) return;
    // The hub keeps the tail a little while for the next watcher of the queue.
    this.queues.delete(queue);
    waiters.unsubscribe?.();
  }
}
