import { createRedis, type RedisClient } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { uniqueQueue } from "../testing/test-app.js";
import { LeaderLease } from "./leader-lease.js";

let redis: RedisClient;
beforeAll(() => {
  redis = createRedis(inject("redisUrl"));
});
afterAll(() => redis.disconnect());

describe("LeaderLease", () => {
  it("lets one holder at a time lead, renews, and hands over on release", async () => {
    const key = `test:${uniqueQueue("lease")}`;
    const a = new LeaderLease(redis, key, 5_000, "a");
    const b = new LeaderLease(redis, key, 5_000, "b");
    const both = await Promise.all([a.acquireOrRenew(), b.acquireOrRenew()]);
    expect(both.filter(Boolean)).toHaveLength(1);
    const [leader, follower] = both[0] ? [a, b] : [b, a];
    expect(await leader.acquireOrRenew()).toBe(true);
    expect(await follower.acquireOrRenew()).toBe(false);
    await follower.release();
    expect(await follower.acquireOrRenew()).toBe(false);
    await leader.release();
    expect(await follower.acquireOrRenew()).toBe(true);
  });

  it("expires when the holder stops renewing", async () => {
    const key = `test:${uniqueQueue("lease")}`;
    const crashed = new LeaderLease(redis, key, 100);
    const next = new LeaderLease(redis, key, 100);
    expect(await crashed.acquireOrRenew()).toBe(true);
    expect(await next.acquireOrRenew()).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await next.acquireOrRenew()).toBe(true);
  });
});
