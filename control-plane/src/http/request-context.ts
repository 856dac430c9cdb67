/**
 * Per-request context: a request id (the caller's X-Request-Id when sane, else a
 * new one) echoed in the response and carried by every log line about the request,
 * and one access log line per request with method, route, status and duration —
 * never bodies or credentials.
 */
import { randomUUID } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { AppEnv } from "../app/app-env.js";
import type { Logger } from "../logging/logger.js";

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const QUIET_PATHS = new Set(["/healthz", "/readyz"]);

export function requestContext(log: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
    c.set("requestId", requestId);
    await next();
    // On the response's headers, not c.header(): that would rebuild the finished response
    // as a streamed one, which costs the submit path a stream read per request.
    c.res.headers.set("X-Request-Id", requestId);
    const status = c.res.status;
    if (QUIET_PATHS.has(c.req.path) && status < 400) return;
    const line = {
      requestId,
      method: c.req.method,
      route: matchedRoutes(c).findLast((route) => route.method !== "ALL")?.path ?? "unmatched",
      status,
      ms: Math.round((performance.now() - started) * 10) / 10,
      key: c.get("principal")?.name,
    };
    if (status >= 500) log.error(line, "request failed");
    else log.info(line, "request");
  };
}
