/**
 * A Redis restart under a running worker process: it keeps running and takes
 * jobs again once Redis is back, without being restarted itself.
 */
import { createRedis, Queue, type RedisClient } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, sleep } from "../../shared/test/engine-fixture.js";
import { type RedisServerHandle, startRedisServer } from "../../shared/test/redis-harness.js";
import { started, startWorkerProcess, testEnv } from "./testing/worker-process.js";

describe("Redis restart under a worker process", () => {
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

  it("resumes taking jobs after Redis comes back on the same port", async () => {
    const queue = new Queue({ redis, name: "restart" });
    const worker = startWorkerProcess(testEnv(server.url, { RQ_QUEUES: queue.name }));
    await started(worker);
    await queue.addBulk(Array.from({ length: 20 }, () => ({ type: "noop" })));
    await eventually(async () => (await queue.counts()).total.completed === 20, 10_000);

    await server.kill();
    await sleep(1_000);
    await server.start();
    await eventually(
      () =>
        queue
          .addBulk(Array.from({ length: 20 }, () => ({ type: "sleep", payload: { ms: 10 } })))
          .then(() => true)
          .catch(() => false),
      10_000,
      100,
    );
    await eventually(async () => (await queue.counts()).total.completed === 40, 15_000, 100);
    expect(worker.child.exitCode).toBeNull();
    await worker.waitForLog((line) => line.msg === "redis connection restored");

    worker.child.kill("SIGTERM");
    expect((await worker.exited).code).toBe(0);
  });
});
