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

  it("opens a node after consecutive failures for openMs, and a success resets the count", () => {
    let now = 0;
    const breaker = new RedisBreaker(fakeClient("ready"), { threshold: 2, openMs: 1_000, now: () => now });
    breaker.recordFailure("a:1");
    breaker.recordSuccess("a:1");
    breaker.recordFailure("a:1");
    expect(breaker.blockedReason("a:1")).toBeNull();
    breaker.recordFailure("a:1");
    expect(() => breaker.assertAvailable("a:1")).toThrow(RedisUnavailableError);
    expect(breaker.blockedReason("b:2")).toBeNull();
    expect(breaker.blockedReason()).toBeNull();
    now = 400;
    expect(breaker.retryAfterSeconds("a:1")).toBe(1);
    now = 1_000;
    expect(breaker.blockedReason("a:1")).toBeNull();
  });

  it("classifies connection errors, not domain errors, as unavailability", () => {
    expect(isRedisUnavailable(new Error("Connection is closed."))).toBe(true);
    expect(isRedisUnavailable(new Error("WRONGTYPE Operation against a key"))).toBe(false);
  });
});
