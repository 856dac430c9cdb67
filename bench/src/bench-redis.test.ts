import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisServerHandle, startRedisServer } from "../../shared/test/redis-harness.js";
import { openBenchRedis } from "./bench-redis.js";

describe("a Redis the user pointed the bench at", () => {
  let server: RedisServerHandle;
  let client: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    client = new Redis(server.url);
  });
  afterAll(async () => {
    client.disconnect();
    await server.stop();
  });

  it("is refused when it holds keys, and left as it was", async () => {
    await client.set("theirs", "1");
    await expect(openBenchRedis(server.url)).rejects.toThrow(/holds keys \(db0\)/);
    expect(await client.get("theirs")).toBe("1");
    await client.del("theirs");
  });

  it("loses only the keys of the bench's own queues between rounds, never the rest", async () => {
    const bench = await openBenchRedis(server.url);
    try {
      expect(bench.owned).toBe(false);
      await client.set("theirs", "1");
      await client.mset("bq:bench1:jobs", "x", "bq:bench1:id", "y", "bq:other:id", "z");
      await bench.reset(["bq:bench1:*"]);
      expect((await client.keys("*")).sort()).toEqual(["bq:other:id", "theirs"]);
    } finally {
      await bench.stop();
    }
  });
});
