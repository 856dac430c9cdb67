/**
 * Wake-ups for long polls, from the queues' event streams. One reader per queue
 * with waiters runs XREAD BLOCK on its own connection and wakes the waiters of the
 * jobs each entry names; it stops (closing its connection) after a quiet spell
 * with no waiters.
 *
 * No lost wake-up: `watch()` fixes the stream position a new reader starts from
 * *before* the caller reads the job, and a running reader is never past the
 * stream's end, so any change made after the caller's read is delivered.
 */
import { decodeQueueEvent, duplicateRedis, queueKeys, type RedisClient } from "@rqueue/shared";
import type { Logger } from "../logging/logger.js";

const BLOCK_MS = 10_000;
const READ_COUNT = 1_000;
const ERROR_PAUSE_MS = 500;

type Wake = () => void;

/** changed: re-read the job; timeout: the time is up; closing: the server is shutting down. */
export type WatchResult = "changed" | "timeout" | "closing";

export interface JobWatch {
  next(timeoutMs: number): Promise<WatchResult>;
  close(): void;
}

class StreamReader {
  private readonly waiters = new Map<string, Set<Wake>>();
  private connection: RedisClient | undefined;
  private running = false;
  /** Settles once the start position is fixed; every add() waits for it. */
  private started: Promise<void> | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private size = 0;

  constructor(
    private readonly redis: RedisClient,
    private readonly queue: string,
    private readonly log: Logger,
    private readonly idleStopMs: number,
    private readonly onStopped: () => void,
  ) {}

  async add(seq: string, wake: Wake): Promise<void> {
    clearTimeout(this.idleTimer);
    let set = this.waiters.get(seq);
    if (!set) {
      set = new Set();
      this.waiters.set(seq, set);
    }
    set.add(wake);
    this.size++;
    if (!this.running) {
      this.running = true;
      this.started = this.lastId().then(
        (start) => {
          void this.loop(start);
        },
        (error: unknown) => {
          this.running = false;
          throw error;
        },
      );
    }
    try {
      await this.started;
    } catch (error) {
      this.remove(seq, wake);
      throw error;
    }
  }

  remove(seq: string, wake: Wake): void {
    const set = this.waiters.get(seq);
    if (!set?.delete(wake)) return;
    this.size--;
    if (set.size === 0) this.waiters.delete(seq);
    if (this.size === 0) {
      clearTimeout(this.idleTimer);
      this.idleTimer = setTimeout(() => this.stop(), this.idleStopMs);
      this.idleTimer.unref();
    }
  }

  /** Wakes every waiter so each re-reads its job (after a reconnect, or at shutdown). */
  wakeAll(): void {
    for (const set of this.waiters.values()) for (const wake of set) wake();
  }

  stop(): void {
    clearTimeout(this.idleTimer);
    this.running = false;
    this.connection?.disconnect();
    this.connection = undefined;
    this.onStopped();
  }

  private async lastId(): Promise<string> {
    const last = await this.redis.xrevrange(queueKeys(this.queue).events, "+", "-", "COUNT", 1);
    return last[0]?.[0] ?? "0-0";
  }

  private async loop(from: string): Promise<void> {
    const key = queueKeys(this.queue).events;
    const connection = duplicateRedis(this.redis, { blocking: true, connectionName: "rq-cp-events" });
    this.connection = connection;
    let seenReady = false;
    connection.on("ready", () => {
      // Entries may have been trimmed while we were away: let waiters re-check.
      if (seenReady) this.wakeAll();
      seenReady = true;
    });
    connection.on("error", () => {
      // Reconnection is automatic; the loop below reports persistent failures.
    });
    let lastId = from;
    while (this.running && this.connection === connection) {
      try {
        const reply = await connection.xread("COUNT", READ_COUNT, "BLOCK", BLOCK_MS, "STREAMS", key, lastId);
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            lastId = id;
            for (const seq of decodeQueueEvent(fields).seqs) {
              const set = this.waiters.get(seq);
              if (set) for (const wake of [...set]) wake();
            }
          }
        }
      } catch (error) {
        if (!this.running || this.connection !== connection) break;
        this.log.warn({ err: (error as Error).message, queue: this.queue }, "event stream read failed");
        this.wakeAll();
        await new Promise((resolve) => setTimeout(resolve, ERROR_PAUSE_MS));
      }
    }
    connection.disconnect();
  }
}

export class JobEvents {
  private readonly readers = new Map<string, StreamReader>();
  private closed = false;

  /** `idleStopMs`: how long a reader with no waiters keeps its connection for the next one. */
  constructor(
    private readonly redis: RedisClient,
    private readonly log: Logger,
    private readonly idleStopMs = 5_000,
  ) {}

  /** Starts watching one job. Call before reading the job; close() the watch when done. */
  async watch(queue: string, seq: string): Promise<JobWatch> {
    if (this.closed) return { next: async () => "closing", close: () => {} };
    let reader = this.readers.get(queue);
    if (!reader) {
      reader = new StreamReader(this.redis, queue, this.log, this.idleStopMs, () => {
        if (this.readers.get(queue) === reader) this.readers.delete(queue);
      });
      this.readers.set(queue, reader);
    }
    const current = reader;
    // A wake that arrives while the caller is busy re-reading is kept for its next().
    let pending = false;
    let resolveWait: ((result: WatchResult) => void) | undefined;
    const wake: Wake = () => {
      if (resolveWait) resolveWait(this.closed ? "closing" : "changed");
      else pending = true;
    };
    await current.add(seq, wake);
    return {
      next: (timeoutMs) => {
        if (this.closed) return Promise.resolve("closing");
        if (pending) {
          pending = false;
          return Promise.resolve("changed");
        }
        return new Promise<WatchResult>((resolve) => {
          const timer = setTimeout(() => finish("timeout"), timeoutMs);
          const finish = (result: WatchResult) => {
            clearTimeout(timer);
            resolveWait = undefined;
            resolve(result);
          };
          resolveWait = finish;
        });
      },
      close: () => current.remove(seq, wake),
    };
  }

  /** Number of queues with a running reader, each holding one blocking connection. */
  get activeReaders(): number {
    return this.readers.size;
  }

  /** Wakes every waiter (they answer with the job's current state) and stops all readers. */
  close(): void {
    this.closed = true;
    for (const reader of [...this.readers.values()]) {
      reader.wakeAll();
      reader.stop();
    }
    this.readers.clear();
  }
}
