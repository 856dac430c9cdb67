import { isRedisUnavailable, type RedisClient, RedisUnavailableError } from "@rqueue/shared";
import { describe, expect, it } from "vitest";
import { RedisBreaker } from "./redis-breaker.js";

const fakeClient = (status: string) => ({ status }) as unknown as RedisClient;

describe("RedisBreaker", () => {
  it("is open while the connection is not ready", () => {
    expect(new RedisBreaker(fakeClient("reconnecting")).blockedReason()).toBe(
      "Redis connection is reconnecting",
    );
    expect(new RedisBreaker(fakeClient("ready")).blockedReason()).toBeNull();
  });

  it("opens after consecutive failures for openMs, and a success resets the count", () => {
    let now = 0;
    const breaker = new RedisBreaker(fakeClient("ready"), { threshold: 2, openMs: 1_000, now: () => now });
    breaker.recordFailure();
    breaker.recordSuccess();
    breaker.recordFailure();
    expect(breaker.blockedReason()).toBeNull();
    breaker.recordFailure();
    expect(() => breaker.assertAvailable()).toThrow(RedisUnavailableError);
    now = 400;
    expect(breaker.retryAfterSeconds()).toBe(1);
    now = 1_000;
    expect(breaker.blockedReason()).toBeNull();
  });

  it("classifies connection errors, not domain errors, as unavailability", () => {
    expect(isRedisUnavailable(new Error("Connection is closed."))).toBe(true);
    expect(isRedisUnavailable(new Error("connect ECONNREFUSED 127.0.0.1:6379"))).toBe(true);
    expect(isRedisUnavailable(new Error("CLUSTERDOWN The cluster is down"))).toBe(true);
    expect(isRedisUnavailable(new Error("WRONGTYPE Operation against a key"))).toBe(false);
    expect(isRedisUnavailable("Connection is closed.")).toBe(false);
  });
});
