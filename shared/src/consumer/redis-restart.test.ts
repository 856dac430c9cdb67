import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, sleep } from "../../test/engine-fixture.js";
import { type RedisServerHandle, startRedisServer } from "../../test/redis-harness.js";
import { Queue } from "../queue/queue.js";
import { createRedis, findEvictionRisk, type RedisClient } from "../redis/connection.js";
import { ConsumeLoop } from "./consume-loop.js";
import { Consumer } from "./consumer.js";

describe("Redis restart during processing (AOF appendfsync always)", () => {
  let server: RedisServerHandle;
  let redis: RedisClient;
  beforeAll(async () => {
    server = await startRedisServer({ appendonly: true, appendfsync: "always" });
    redis = createRedis(server.url);
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  it("loses no acknowledged job and resumes without restarting the process", async () => {
    const queue = new Queue({ redis, name: "restart" });
    const consumer = new Consumer({ redis, queue: queue.name, workerId: "survivor", leaseMs: 1_000 });
    const finished = new Set<string>();
    const loop = new ConsumeLoop({
      consumer,
      concurrency: 10,
      maxBlockMs: 500,
      maintainEveryMs: 200,
      handler: async (job) => {
        await sleep(5);
        finished.add(job.id);
      },
    });
    const acknowledged: string[] = [];
    for (let i = 0; i < 10; i++)
      acknowledged.push(
        ...(await queue.addBulk(Array.from({ length: 50 }, () => ({ type: "noop" })))).map((job) => job.id),
      );
    loop.start();
    await eventually(() => finished.size >= 100, 10_000);

    const runIdBefore = /run_id:(\w+)/.exec(await redis.info("server"))?.[1];
    await server.kill(); // SIGKILL: no chance to save anything beyond the AOF
    await sleep(300);
    await server.start();

    // Jobs added after the restart flow too: the loop reconnected on its own.
    await eventually(
      async () => {
        try {
          acknowledged.push(
            ...(await queue.addBulk(Array.from({ length: 50 }, () => ({ type: "noop" })))).map((j) => j.id),
          );
          return true;
        } catch {
          return false;
        }
      },
      10_000,
      100,
    );
    await eventually(async () => (await queue.counts()).total.completed === 550, 20_000, 100);
    for (const id of acknowledged) expect((await queue.getJobOrThrow(id)).state).toBe("completed");
    expect(/run_id:(\w+)/.exec(await redis.info("server"))?.[1]).not.toBe(runIdBefore);
    await loop.stop();
  });

  it("reports an eviction policy that would silently delete jobs", async () => {
    expect(await findEvictionRisk(redis)).toEqual([]);
    await redis.config("SET", "maxmemory-policy", "allkeys-lru");
    expect(await findEvictionRisk(redis)).toEqual([expect.stringContaining("allkeys-lru")]);
    await redis.config("SET", "maxmemory-policy", "noeviction");
  });
});
