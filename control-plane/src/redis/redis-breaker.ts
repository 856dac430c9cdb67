/**
 * A circuit breaker in front of Redis, so that while Redis is down or hung the API
 * answers 503 at once instead of letting requests pile up:
 *   - open while the connection is not ready (killed server, failover, network);
 *   - open for `openMs` after `threshold` consecutive failures or deadline misses;
 *   - closed again by the first request that succeeds once the window has passed.
 */
import { type RedisClient, RedisUnavailableError } from "@rqueue/shared";

export interface RedisBreakerOptions {
  /** Consecutive failures that open the breaker. */
  threshold?: number;
  openMs?: number;
  now?: () => number;
}

export class RedisBreaker {
  private failures = 0;
  private openUntil = 0;
  private readonly threshold: number;
  private readonly openMs: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: RedisClient,
    options: RedisBreakerOptions = {},
  ) {
    this.threshold = options.threshold ?? 2;
    this.openMs = options.openMs ?? 1_000;
    this.now = options.now ?? Date.now;
  }

  /** Why Redis should not be tried now, or null when it may. */
  blockedReason(): string | null {
    if (this.redis.status !== "ready") return `Redis connection is ${this.redis.status}`;
    if (this.now() < this.openUntil) return "Redis is failing; circuit breaker open";
    return null;
  }

  /** Throws RedisUnavailableError when Redis should not be tried now. */
  assertAvailable(): void {
    const reason = this.blockedReason();
    if (reason) throw new RedisUnavailableError(reason, this.retryAfterSeconds());
  }

  recordSuccess(): void {
    this.failures = 0;
  }

  recordFailure(): void {
    this.failures++;
    if (this.failures >= this.threshold) this.openUntil = this.now() + this.openMs;
  }

  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil((this.openUntil - this.now()) / 1000));
  }
}
