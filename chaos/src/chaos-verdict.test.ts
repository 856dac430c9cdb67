import { queueKeys } from "@rqueue/shared";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisServerHandle, startRedisServer } from "../../shared/test/redis-harness.js";
import type { ChaosStack } from "./chaos-stack.js";
import { completedTwiceInStream } from "./chaos-verdict.js";

describe("completedTwiceInStream", () => {
  let server: RedisServerHandle;
  let redis: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  it("reads the scripts' runs of seqs, so a job inside a run that completed again is found", async () => {
    const key = queueKeys("verdict").events;
    await redis.xadd(key, "*", "e", "completed", "j", "1-3,5");
    await redis.xadd(key, "*", "e", "processing", "j", "2");
    await redis.xadd(key, "*", "e", "completed", "j", "2,7");
    const stack = { redis, options: { queue: "verdict" } } as unknown as ChaosStack;
    expect(await completedTwiceInStream(stack)).toEqual(["verdict:2"]);
  });
});
