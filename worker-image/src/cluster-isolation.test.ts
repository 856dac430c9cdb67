/**
 * A frozen Cluster master stalls only the queues it serves: a worker on two queues
 * whose slots live on different masters keeps completing the healthy queue's jobs
 * while the other master is SIGSTOPped, logs that the frozen queue's loop stalled,
 * and resumes that queue once the master answers again. The private cluster keeps
 * serving the healthy slots (cluster-require-full-coverage no).
 */
import { createRedis, nodeServing, Queue, queueKeys, type RedisClient } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, uniqueQueue } from "../../shared/test/engine-fixture.js";
import { type RedisClusterHandle, startRedisCluster } from "../../shared/test/redis-harness.js";
import { memoryLogger, startTestWorker, testConfig } from "./testing/in-process.js";

let cluster: RedisClusterHandle;
let redis: RedisClient;
beforeAll(async () => {
  cluster = await startRedisCluster({ extraArgs: ["--cluster-require-full-coverage", "no"] });
  redis = createRedis(cluster.url);
  await redis.ping();
});
afterAll(async () => {
  redis?.disconnect();
  await cluster?.stop();
});

describe("a worker on a Cluster with one frozen master", () => {
  it("keeps completing the queue on a healthy master and logs the stalled one", async () => {
    const node = (queue: string) => nodeServing(redis, queueKeys(queue).events);
    const frozenName = uniqueQueue("frozen");
    let healthyName = uniqueQueue("healthy");
    while (node(healthyName) === node(frozenName)) healthyName = uniqueQueue("healthy");
    const frozenNode = cluster.nodes.find((n) => `${n.host}:${n.port}` === node(frozenName));
    if (!frozenNode) throw new Error("no node for the frozen queue");
    const frozen = new Queue({ redis, name: frozenName });
    const healthy = new Queue({ redis, name: healthyName });

    const logger = memoryLogger();
    await startTestWorker(
      testConfig(cluster.url, {
        RQ_QUEUES: `${frozenName},${healthyName}`,
        RQ_CONCURRENCY: "4",
        RQ_REDIS_COMMAND_TIMEOUT_MS: "1000",
      }),
      { logger },
    );
    await frozen.add({ type: "noop" });
    await healthy.add({ type: "noop" });
    await eventually(async () => (await frozen.counts()).total.completed === 1, 15_000);
    await eventually(async () => (await healthy.counts()).total.completed === 1, 15_000);

    frozenNode.freeze();
    try {
      // Jobs added one at a time while the other master hangs: each must still be run.
      for (let i = 0; i < 5; i++) {
        await healthy.add({ type: "noop" });
        await eventually(async () => (await healthy.counts()).total.completed === 2 + i, 10_000, 50);
      }
      await eventually(
        () =>
          logger.lines.some(
            (line) => line.msg === "queue loop stalled" && JSON.stringify(line.fields).includes(frozenName),
          ),
        30_000,
        50,
      );
    } finally {
      frozenNode.thaw();
    }
    await frozen.add({ type: "noop" });
    await eventually(async () => (await frozen.counts()).total.completed === 2, 20_000, 50);
    expect(logger.lines.some((line) => line.msg === "queue loop resumed")).toBe(true);
  }, 90_000);
});
