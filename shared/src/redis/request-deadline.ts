/**
 * Deadlines for the Redis work of one API request. When a request runs out of time
 * the API answers 503 ("not done, retry"), but ioredis still sends the commands it
 * queued — to a frozen server once it wakes, or from its offline queue after a
 * reconnect — so a write reported as failed could apply later, and a client that
 * retried would have it twice. Every script a deadline-bound queue runs
 * (`Queue.withDeadline`, which the API gives each request) carries the deadline in
 * Redis's own clock, and refuses before its first write once the server's clock is
 * past it (scripts/includes/settings.lua, `rq-deadline-passed`). The deadline travels
 * with the queue object, not in an AsyncLocalStorage: on Node 20 one active store
 * puts a hook on every promise of the process, a fifth of the API's CPU per request.
 *
 * Redis's clock is estimated per connection from TIME, on the low side: the sample
 * is taken as if Redis read its clock when the reply arrived, and on Cluster the
 * clock furthest behind among the masters counts. A node whose clock is ahead
 * refuses a little early, never late. The estimate is refreshed in the background.
 */
import type { RedisClient } from "../scripts/load-scripts.js";
import { masterNodes } from "./master-nodes.js";

const REFRESH_MS = 10_000;

interface ClockEstimate {
  /** Redis time minus this host's time, in ms, rounded down. */
  offsetMs: number;
  measuredAt: number;
  refreshing: Promise<void> | undefined;
}

const clocks = new WeakMap<RedisClient, ClockEstimate>();

async function lowestOffset(redis: RedisClient): Promise<number> {
  let nodes = masterNodes(redis);
  if (nodes.length === 0) {
    // A Cluster client that has not connected yet knows no nodes: the minimum of none
    // would be Infinity, a deadline every script refuses as malformed.
    await redis.ping();
    nodes = masterNodes(redis);
    if (nodes.length === 0) throw new Error("the Redis Cluster client knows no master to read the time of");
  }
  const offsets = await Promise.all(
    nodes.map(async (node) => {
      const [seconds, micros] = await node.time();
      const received = Date.now();
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - received;
    }),
  );
  return Math.min(...offsets);
}

async function offsetOf(redis: RedisClient): Promise<number> {
  let clock = clocks.get(redis);
  if (!clock) {
    clock = { offsetMs: await lowestOffset(redis), measuredAt: Date.now(), refreshing: undefined };
    clocks.set(redis, clock);
  } else if (Date.now() - clock.measuredAt > REFRESH_MS && !clock.refreshing) {
    const current = clock;
    current.refreshing = lowestOffset(redis)
      .then((offsetMs) => {
        current.offsetMs = offsetMs;
        current.measuredAt = Date.now();
      })
      .catch(() => {})
      .finally(() => {
        current.refreshing = undefined;
      });
  }
  return clock.offsetMs;
}

/** How long before a caller gives up the script must have started, so a reply on its way still counts. */
export const deadlineMargin = (budgetMs: number) => Math.min(500, budgetMs / 4);

/** The connection's per-command timeout (ioredis rejects the call then, but still sends it). */
function commandTimeoutOf(redis: RedisClient): number | undefined {
  const options = redis.options as { commandTimeout?: number; redisOptions?: { commandTimeout?: number } };
  return options.commandTimeout ?? options.redisOptions?.commandTimeout;
}

/**
 * The local deadline of a script called now with no deadline of its own: the
 * connection's command timeout (less the margin), else none.
 */
export function connectionDeadline(redis: RedisClient): number | undefined {
  const timeout = commandTimeoutOf(redis);
  return timeout ? Date.now() + timeout - deadlineMargin(timeout) : undefined;
}

/**
 * `localDeadlineMs` in Redis's clock, for a script. A deadline already past is 1
 * (refused for certain, without asking Redis's time).
 */
export async function scriptDeadline(redis: RedisClient, localDeadlineMs: number): Promise<number> {
  if (localDeadlineMs <= Date.now()) return 1;
  return Math.max(1, localDeadlineMs + (await offsetOf(redis)));
}
