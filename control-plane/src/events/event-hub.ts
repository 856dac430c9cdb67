/**
 * Tails the queues' event streams for GET /v1/events: one blocking XREAD reader
 * per queue per process, shared by every Server-Sent Events client of that queue,
 * so connections grow with the queues being watched, never with the clients, and
 * their number is capped (`maxQueues`). Each blocking connection is a duplicate
 * without the command timeout (a BLOCK must outlast it); the reader stops after a
 * quiet spell with no listeners.
 *
 * A listener gets every entry after the position the reader had when it joined;
 * `subscribe` settles once that position is fixed, so a caller that then reads
 * the stream's history (resume) and skips ids it already sent misses nothing.
 */
import { duplicateRedis, queueKeys, type RedisClient } from "@rqueue/shared";
import { ApiError } from "../http/api-error.js";
import type { Logger } from "../logging/logger.js";

const BLOCK_MS = 10_000;
const READ_COUNT = 500;
const ERROR_PAUSE_MS = 500;

export type StreamEntry = [id: string, fields: string[]];
export type EntryListener = (entries: readonly StreamEntry[]) => void;

class QueueTail {
  readonly listeners = new Set<EntryListener>();
  private connection: RedisClient | undefined;
  private running = false;
  private started: Promise<void> | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly queue: string,
    private readonly log: Logger,
    private readonly idleStopMs: number,
    private readonly onStopped: () => void,
  ) {}

  async add(listener: EntryListener): Promise<void> {
    clearTimeout(this.idleTimer);
    this.listeners.add(listener);
    if (!this.running) {
      this.running = true;
      this.started = this.lastId().then(
        (from) => {
          void this.loop(from);
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
      this.remove(listener);
      throw error;
    }
  }

  remove(listener: EntryListener): void {
    if (!this.listeners.delete(listener) || this.listeners.size > 0) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stop(), this.idleStopMs);
    this.idleTimer.unref();
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
    const connection = duplicateRedis(this.redis, { blocking: true, connectionName: "rq-cp-sse" });
    connection.on("error", () => {
      // Reconnection is automatic; the loop below reports persistent failures.
    });
    this.connection = connection;
    let lastId = from;
    while (this.running && this.connection === connection) {
      try {
        const reply = await connection.xread("COUNT", READ_COUNT, "BLOCK", BLOCK_MS, "STREAMS", key, lastId);
        const entries = (reply?.[0]?.[1] ?? []) as StreamEntry[];
        if (entries.length === 0) continue;
        lastId = (entries.at(-1) as StreamEntry)[0];
        for (const listener of [...this.listeners]) listener(entries);
      } catch (error) {
        if (!this.running || this.connection !== connection) break;
        this.log.warn({ err: (error as Error).message, queue: this.queue }, "event stream tail failed");
        await new Promise((resolve) => setTimeout(resolve, ERROR_PAUSE_MS));
      }
    }
    connection.disconnect();
  }
}

export class EventHub {
  private readonly tails = new Map<string, QueueTail>();
  private readonly closers = new Set<() => void>();
  private closed = false;

  /** `maxQueues`: queues tailed at once (one blocking connection each); `idleStopMs`: how long an unwatched tail lingers. */
  constructor(
    private readonly redis: RedisClient,
    private readonly log: Logger,
    private readonly maxQueues = 64,
    private readonly idleStopMs = 5_000,
  ) {}

  /** Starts delivering the queue's new entries; returns the function that stops it. */
  async subscribe(queue: string, listener: EntryListener): Promise<() => void> {
    if (this.closed) throw new ApiError(503, "shutting_down", "the server is shutting down");
    let tail = this.tails.get(queue);
    if (!tail) {
      if (this.tails.size >= this.maxQueues) {
        throw new ApiError(
          503,
          "too_many_queues_watched",
          `this server already streams the events of ${this.maxQueues} queues; try again later or another replica`,
          [],
          { "Retry-After": "5" },
        );
      }
      const created = new QueueTail(this.redis, queue, this.log, this.idleStopMs, () => {
        if (this.tails.get(queue) === created) this.tails.delete(queue);
      });
      this.tails.set(queue, created);
      tail = created;
    }
    const current = tail;
    await current.add(listener);
    return () => current.remove(listener);
  }

  /** Queues with a running tail, each holding one blocking connection. */
  get activeTails(): number {
    return this.tails.size;
  }

  /** Runs `closer` when the hub closes (at shutdown), so open streams end; returns its removal. */
  onClose(closer: () => void): () => void {
    this.closers.add(closer);
    return () => this.closers.delete(closer);
  }

  close(): void {
    this.closed = true;
    for (const closer of [...this.closers]) closer();
    this.closers.clear();
    for (const tail of [...this.tails.values()]) tail.stop();
    this.tails.clear();
  }
}
