import {
  createRedis,
  isRedisUnavailable,
  JobNotFoundError,
  type RedisClient,
  RedisUnavailableError,
} from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { RedisBreaker, STANDALONE_NODE } from "../redis/redis-breaker.js";
import { uniqueQueue } from "../testing/test-app.js";
import { QueueRegistry } from "./queue-registry.js";
import { RequestQueues } from "./request-queues.js";

const redis: RedisClient = createRedis(inject("redisUrl"));
beforeAll(() => redis.ping());
afterAll(() => redis.quit());

describe("RequestQueues", () => {
  it("judges a request by the one node it touched, and refuses queues of an open node", () => {
    const breaker = new RedisBreaker(redis, { threshold: 1 });
    const registry = new QueueRegistry(redis);
    const queues = new RequestQueues(registry, breaker, undefined);
    const name = uniqueQueue();
    queues.get(name);
    expect([...queues.nodes]).toEqual([STANDALONE_NODE]);
    breaker.settle(new Set(["x:1", "y:2"]), true);
    expect(breaker.blockedReason("x:1")).toBeNull();
    breaker.settle(queues.nodes, true);
    expect(() => new RequestQueues(registry, breaker, undefined).get(name)).toThrow(RedisUnavailableError);
    // Outside a request (maintenance loops) the registry answers whatever the breaker says.
    expect(registry.get(name).name).toBe(name);
  });

  it("binds every queue to the request's deadline, and only that request's", async () => {
    const breaker = new RedisBreaker(redis);
    const registry = new QueueRegistry(redis);
    const name = uniqueQueue();
    const { id } = await registry.get(name).add({ type: "a" });
    const late = new RequestQueues(registry, breaker, Date.now() - 1);
    // The script is refused before its first write: the job stays pending.
    const refused = await late
      .get(name)
      .cancel(id)
      .catch((error: unknown) => error);
    expect(isRedisUnavailable(refused), String(refused)).toBe(true);
    expect(String(refused)).toContain("deadline");
    expect((await registry.get(name).getJob(id))?.state).toBe("pending");
    const timely = new RequestQueues(registry, breaker, Date.now() + 10_000);
    expect(await timely.get(name).cancel(id)).toBe("pending");
    await expect(timely.get(name).cancel(`${name}:999999`)).rejects.toThrow(JobNotFoundError);
    expect(registry.get(name)).toBe(registry.get(name));
  });
});
