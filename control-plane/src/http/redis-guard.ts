/**
 * Puts the Redis circuit breaker in front of every Redis-backed route: refuses at
 * once (503) while the breaker is open, gives the request's Redis work a deadline
 * (a hung server must not hang clients), and reports the outcome to the breaker.
 * Long polls and bulk actions are exempt from the deadline (see createApp); the
 * connection's per-command timeout still bounds each of their Redis calls.
 */

import { isRedisUnavailable, RedisUnavailableError } from "@rqueue/shared";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app/app-env.js";
import type { RedisBreaker } from "../redis/redis-breaker.js";

export function redisGuard(
  breaker: RedisBreaker,
  deadlineMs: number,
  isUnbounded: (path: string) => boolean,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    breaker.assertAvailable();
    let timer: NodeJS.Timeout | undefined;
    const run = next();
    if (!isUnbounded(c.req.path)) {
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new RedisUnavailableError(`Redis did not answer within ${deadlineMs} ms`)),
          deadlineMs,
        );
      });
      try {
        await Promise.race([run, deadline]);
      } catch (error) {
        breaker.recordFailure();
        throw error;
      } finally {
        clearTimeout(timer);
      }
    } else {
      await run;
    }
    if (c.error && isRedisUnavailable(c.error)) breaker.recordFailure();
    else breaker.recordSuccess();
  };
}
