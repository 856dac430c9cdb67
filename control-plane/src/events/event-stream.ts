/**
 * One Server-Sent Events client of GET /v1/events: subscribes to each queue's
 * shared tail, replays the history after its resume position, then passes live
 * entries through, filtered by job id or type, in stream order per queue.
 *
 * No gap, no repeat: live entries that arrive while the history is read wait in a
 * buffer; every entry at or before a queue's last sent position is skipped. A
 * client whose backlog passes MAX_BACKLOG is told (`event: error`) and let go.
 */
import { decodeQueueEvent, formatJobId, queueKeys, type RedisClient } from "@rqueue/shared";
import type { EventHub, StreamEntry } from "./event-hub.js";
import type { JobTypeLookup } from "./job-type-lookup.js";

const CATCH_UP_PAGE = 500;
const MAX_BACKLOG = 10_000;

/** Orders two stream ids `<ms>-<seq>`. */
export function compareStreamIds(a: string, b: string): number {
  const [am = "0", as = "0"] = a.split("-");
  const [bm = "0", bs = "0"] = b.split("-");
  if (am.length !== bm.length) return am.length - bm.length;
  if (am !== bm) return am < bm ? -1 : 1;
  return Number(as) - Number(bs);
}

export interface StreamFilter {
  queues: readonly string[];
  type?: string | undefined;
  job?: { queue: string; seq: string } | undefined;
  /** Resume positions by queue (the last id the client saw). */
  from: ReadonlyMap<string, string>;
}

export interface OutgoingEvent {
  event: string;
  data: string;
  id?: string;
}

export class EventStream {
  private readonly positions: Map<string, string>;
  private readonly outbox: { queue: string; entry: StreamEntry }[] = [];
  private readonly buffers = new Map<string, StreamEntry[]>();
  private readonly unsubscribes: (() => void)[] = [];
  /** Queues followed from now on, with no history to replay. */
  private readonly live = new Set<string>();
  private wake: (() => void) | undefined;
  private ended = false;
  private overflow = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly hub: EventHub,
    private readonly types: JobTypeLookup,
    private readonly filter: StreamFilter,
  ) {
    this.positions = new Map(filter.queues.map((queue) => [queue, filter.from.get(queue) ?? ""]));
  }

  /** Joins every queue's tail (before the response starts, so a refusal is an HTTP error). */
  async subscribe(): Promise<void> {
    try {
      for (const queue of this.filter.queues) {
        this.buffers.set(queue, []);
        this.unsubscribes.push(
          await this.hub.subscribe(queue, (entries) => {
            const buffer = this.buffers.get(queue);
            if (buffer) buffer.push(...entries);
            else this.enqueue(queue, entries);
          }),
        );
        // Without a resume position, "now" is the stream's end once subscribed: what the
        // shared tail had not read yet is older than this client.
        if (!this.positions.get(queue)) {
          const last = await this.redis.xrevrange(queueKeys(queue).events, "+", "-", "COUNT", 1);
          this.positions.set(queue, last[0]?.[0] ?? "0-0");
          this.live.add(queue);
        }
      }
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** Ends the stream: the events already queued are dropped. */
  end(): void {
    this.ended = true;
    this.wake?.();
  }

  close(): void {
    this.end();
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
  }

  /** Writes the history after each resume position, then live events, until ended. */
  async run(write: (event: OutgoingEvent) => Promise<void>): Promise<void> {
    for (const queue of this.filter.queues) {
      const from = this.positions.get(queue);
      if (from && !this.live.has(queue)) await this.catchUp(queue, from);
      const live = this.buffers.get(queue) ?? [];
      this.buffers.delete(queue);
      this.enqueue(queue, live);
    }
    while (!this.ended) {
      const next = this.outbox.shift();
      if (!next) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = undefined;
        continue;
      }
      for (const event of await this.render(next.queue, next.entry)) await write(event);
    }
    if (this.overflow) {
      await write({
        event: "error",
        data: JSON.stringify({
          code: "too_slow",
          message: `more than ${MAX_BACKLOG} events waited for this client; resume with Last-Event-ID`,
        }),
      });
    }
  }

  private async catchUp(queue: string, from: string): Promise<void> {
    const key = queueKeys(queue).events;
    let after = from;
    while (!this.ended) {
      const page = (await this.redis.xrange(key, `(${after}`, "+", "COUNT", CATCH_UP_PAGE)) as StreamEntry[];
      if (page.length > 0) {
        this.enqueue(queue, page);
        after = (page.at(-1) as StreamEntry)[0];
      }
      if (page.length < CATCH_UP_PAGE) break;
    }
  }

  private enqueue(queue: string, entries: readonly StreamEntry[]): void {
    if (this.ended) return;
    for (const entry of entries) this.outbox.push({ queue, entry });
    if (this.outbox.length > MAX_BACKLOG) {
      this.overflow = true;
      this.end();
    }
    this.wake?.();
  }

  /** The events of one entry (one per job that passes the filter); the id rides on the last. */
  private async render(queue: string, [id, fields]: StreamEntry): Promise<OutgoingEvent[]> {
    const last = this.positions.get(queue) ?? "";
    if (last !== "" && compareStreamIds(id, last) <= 0) return []; // history and live overlap
    this.positions.set(queue, id);
    const decoded = decodeQueueEvent(fields);
    const { job, type } = this.filter;
    let seqs = job ? decoded.seqs.filter((seq) => job.queue === queue && seq === job.seq) : decoded.seqs;
    if (type !== undefined && seqs.length > 0) {
      const types = await this.types.typesOf(queue, seqs);
      seqs = seqs.filter((seq) => types.get(seq) === type);
    }
    const eventId =
      this.filter.queues.length === 1
        ? id
        : [...this.positions]
            .filter(([, at]) => at !== "")
            .map(([name, at]) => `${name}/${at}`)
            .join(",");
    return seqs.map((seq, index) => ({
      event: decoded.event,
      data: JSON.stringify({
        queue,
        jobId: formatJobId(queue, seq),
        event: decoded.event,
        ...(type !== undefined ? { type } : {}),
        detail: decoded.detail,
      }),
      ...(index === seqs.length - 1 ? { id: eventId } : {}),
    }));
  }
}
