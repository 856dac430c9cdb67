/**
 * How far the archive is behind one queue's events stream, from Redis alone (so
 * any replica reports it, whichever archived): entries not yet acknowledged by the
 * `rq-archiver` group (pending plus never delivered), and the age of the oldest
 * of them by Redis's clock. O(1) per queue: XINFO GROUPS, XPENDING's summary, and
 * one XRANGE of a single entry.
 */
import { queueKeys, type RedisClient } from "@rqueue/shared";
import { ARCHIVER_GROUP, fieldsOf } from "./archiver.js";

export interface ArchiveLag {
  queue: string;
  /** Entries (each naming one or more jobs) not yet archived. */
  entries: number;
  /** Age of the oldest entry not yet archived; 0 when caught up. */
  seconds: number;
}

const idMs = (id: string) => Number(id.slice(0, id.indexOf("-")));

function nextId(id: string): string {
  const [ms, seq] = id.split("-");
  return `${ms}-${BigInt(seq ?? "0") + 1n}`;
}

export async function readArchiveLag(redis: RedisClient, queue: string): Promise<ArchiveLag> {
  const key = queueKeys(queue).events;
  const [groups, length, time] = await Promise.all([
    (redis.call("XINFO", "GROUPS", key) as Promise<unknown[][]>).catch(() => [] as unknown[][]),
    redis.xlen(key),
    redis.time(),
  ]);
  const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
  const group = groups.map(fieldsOf).find((info) => info.name === ARCHIVER_GROUP);
  // No group yet: the archiver has not reached this queue, and everything in the stream is behind.
  const lastDelivered = group ? String(group["last-delivered-id"]) : "0-0";
  const pending = group ? Number(group.pending) : 0;
  const undelivered =
    group && typeof group.lag === "number" ? Math.min(group.lag, length) : group ? null : length;

  let oldest: string | null = null;
  if (pending > 0) {
    const summary = (await redis.call("XPENDING", key, ARCHIVER_GROUP)) as [number, string | null];
    oldest = summary[1];
  }
  if (!oldest) {
    const [first] = (await redis.xrange(key, nextId(lastDelivered), "+", "COUNT", 1)) as [string, string[]][];
    oldest = first?.[0] ?? null;
  }
  // Redis cannot tell when entries were deleted inside the range: the stream's length bounds it.
  const entries = pending + (undelivered ?? length);
  return { queue, entries, seconds: entries > 0 && oldest ? Math.max(0, (now - idMs(oldest)) / 1000) : 0 };
}
