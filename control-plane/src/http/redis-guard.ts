/**
 * Puts the Redis circuit breakers in front of every Redis-backed route: refuses at
 * once (503) while the connection is down or the node of a queue the route uses is
 * failing, gives the request's Redis work a deadline (a hung server must not hang
 * clients), and reports the outcome to the breaker of the node it touched. Routes
 * take their queues from `c.var.queues` (queues/request-queues.ts), which carries both.
 * Long polls and bulk actions are exempt from the deadline (see createApp); the
 * connection's per-command timeout still bounds each of their Redis calls.
 */
import { isRedisUnavailable } from "@rqueue/shared";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app/app-env.js";
import type { QueueRegistry } from "../queues/queue-registry.js";
import { RequestQueues } from "../queues/request-queues.js";
import type { RedisBreaker } from "../redis/redis-breaker.js";
import { raceDeadline, scriptsByFor } from "./redis-deadline.js";

export function redisGuard(
  registry: QueueRegistry,
  breaker: RedisBreaker,
  deadlineMs: number,
  isUnbounded: (path: string) => boolean,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    breaker.assertAvailable();
    const bounded = !isUnbounded(c.req.path);
    const queues = new RequestQueues(registry, breaker, bounded ? scriptsByFor(deadlineMs) : undefined);
    c.set("queues", queues);
    try {
      await (bounded ? raceDeadline(next(), deadlineMs) : next());
    } catch (error) {
      breaker.settle(queues.nodes, isRedisUnavailable(error));
      throw error;
    }
    breaker.settle(queues.nodes, c.error !== undefined && isRedisUnavailable(c.error));
  };
}
