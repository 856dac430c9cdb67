/**
 * The single place where errors become HTTP responses. Engine errors map by type,
 * Redis outages to 503 with Retry-After; anything unexpected is logged with its
 * stack and answered 500 with the request id only, never the stack or message.
 */
import {
  CircuitBreakerNotFoundError,
  IdempotencyConflictError,
  IllegalTransitionError,
  isRedisUnavailable,
  JobNotFoundError,
  LeaseLostError,
  NotReplicatedError,
  QueueFullError,
  RedisUnavailableError,
  RQueueError,
  ScheduleExistsError,
  ScheduleNotFoundError,
  ValidationError,
} from "@rqueue/shared";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../app/app-env.js";
import type { Logger } from "../logging/logger.js";
import { ApiError, errorBody, unprocessable } from "./api-error.js";

const STATUS_CODES: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  422: "validation_failed",
  503: "service_unavailable",
};

/** The API error an error answers as; null for unexpected ones (a 500). */
export function toApiError(error: unknown): ApiError | null {
  if (error instanceof ApiError) return error;
  if (error instanceof ValidationError) return unprocessable(error.issues, error.issuesTotal);
  if (
    error instanceof JobNotFoundError ||
    error instanceof CircuitBreakerNotFoundError ||
    error instanceof ScheduleNotFoundError
  )
    return new ApiError(404, error.code, error.message);
  if (error instanceof ScheduleExistsError) return new ApiError(409, error.code, error.message);
  if (error instanceof IllegalTransitionError || error instanceof LeaseLostError) {
    return new ApiError(409, error.code, error.message);
  }
  if (error instanceof NotReplicatedError) {
    // Written but maybe not durable: the same submission again (same Idempotency-Key) settles it.
    return new ApiError(503, error.code, error.message, [], { "Retry-After": "1" });
  }
  if (error instanceof QueueFullError) {
    // Nothing was written: the same submission succeeds once the queue holds less.
    return new ApiError(
      429,
      error.code,
      error.message,
      [],
      {},
      {
        queue: error.queue,
        maxBytes: error.maxBytes,
        bytes: error.heldBytes,
        requestedBytes: error.requestedBytes,
      },
    );
  }
  if (isRedisUnavailable(error)) {
    const retryAfter = error instanceof RedisUnavailableError ? error.retryAfterSeconds : 1;
    return new ApiError(503, "redis_unavailable", "Redis is unavailable; retry shortly", [], {
      "Retry-After": String(retryAfter),
    });
  }
  if (error instanceof RQueueError) return null;
  if (error instanceof HTTPException && error.status < 500) {
    const status = error.status as ContentfulStatusCode;
    return new ApiError(status, STATUS_CODES[status] ?? "http_error", error.message || "request rejected");
  }
  return null;
}

export function handleError(error: Error, c: Context<AppEnv>, baseLog: Logger): Response {
  const requestId = c.get("requestId") ?? "unknown";
  const log = baseLog.child({ requestId });
  if (error instanceof IdempotencyConflictError) {
    // Both fingerprints, so the caller can see that the bodies differ (Stripe's answer).
    const { idempotencyKey, existingJobId, existingFingerprint, fingerprint } = error;
    const body = errorBody(error.code, error.message).error;
    return c.json(
      { error: { ...body, idempotencyKey, existingJobId, existingFingerprint, fingerprint } },
      409,
    );
  }
  const apiError = toApiError(error);
  if (apiError) {
    if (apiError.status === 503) log.warn({ err: error.message }, "redis unavailable");
    for (const [name, value] of Object.entries(apiError.headers)) c.header(name, value);
    return c.json(
      errorBody(apiError.code, apiError.message, apiError.issues, apiError.issuesTotal, apiError.details),
      apiError.status,
    );
  }
  log.error({ err: error }, "unhandled error");
  return c.json(errorBody("internal_error", `internal error (request id ${requestId})`), 500);
}
