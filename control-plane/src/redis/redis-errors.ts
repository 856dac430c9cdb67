/**
 * Which errors mean "Redis is not answering" (so the client gets 503 and the
 * breaker counts a failure) as opposed to bugs or domain errors.
 */
export class RedisUnavailableError extends Error {
  override name = "RedisUnavailableError";
  constructor(
    message: string,
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
  }
}

const UNAVAILABLE_NAMES = new Set(["MaxRetriesPerRequestError", "ClusterAllFailedError"]);
const UNAVAILABLE_MESSAGE =
  /Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|Command timed out|Failed to refresh slots cache|None of startup nodes is available|^(CLUSTERDOWN|LOADING|TRYAGAIN|MASTERDOWN|BUSY)\b/;

export function isRedisUnavailable(error: unknown): boolean {
  if (error instanceof RedisUnavailableError) return true;
  if (!(error instanceof Error)) return false;
  return UNAVAILABLE_NAMES.has(error.name) || UNAVAILABLE_MESSAGE.test(error.message);
}
