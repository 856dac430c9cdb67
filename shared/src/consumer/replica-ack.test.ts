/**
 * A completion a master acknowledged but never replicated is not lost in a failover
 * (issue 12, defect 6): with replicaAck, the consumer WAITs for a replica after
 * reporting; when none acknowledges (the replica was promoted while the old master
 * still took writes, as after a frozen master wakes, and the old master's writes are
 * then discarded), it sends the outcome again, and the promoted node — where the job
 * is still running under the same lease — records it.
 */
import { afterAll, describe, expect, it } from "vitest";
import { eventually, targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { startLoopbackProxy } from "../../test/loopback-proxy.js";
import { startRedisServer } from "../../test/redis-harness.js";
import { Queue } from "../queue/queue.js";
import { createRedis, type RedisClient } from "../redis/connection.js";
import { Consumer } from "./consumer.js";

/** A loopback proxy whose target can be switched, cutting open connections (as a failover does). */
async function startSwitchingProxy(port: number) {
  let target = port;
  const proxy = await startLoopbackProxy({ target: () => ({ host: "127.0.0.1", port: target }) });
  return {
    url: proxy.url,
    switchTo(next: number) {
      target = next;
      for (const { client, upstream } of proxy.connections) {
        client.destroy();
        upstream.destroy();
      }
    },
    close: proxy.close,
  };
}

const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

describe("replica acknowledgement of outcomes", () => {
  it("sends an unreplicated completion again, and the promoted replica records it", {
    timeout: 60_000,
  }, async () => {
    const master = await startRedisServer();
    cleanup.push(() => master.stop());
    const replica = await startRedisServer({
      extraArgs: ["--replicaof", "127.0.0.1", String(master.port)],
    });
    cleanup.push(() => replica.stop());
    const proxy = await startSwitchingProxy(master.port);
    cleanup.push(() => proxy.close());
    const redis: RedisClient = createRedis(proxy.url);
    redis.on("error", () => {});
    cleanup.push(() => redis.disconnect());
    const onReplica = createRedis(replica.url);
    cleanup.push(() => onReplica.disconnect());

    const queue = new Queue({ redis, name: "failover" });
    const { id } = await queue.add({ type: "t", payload: {} });
    const unreplicated: number[] = [];
    const consumer = new Consumer({
      redis,
      queue: "failover",
      workerId: "w1",
      replicaAck: { replicas: 1, timeoutMs: 100 },
      onUnreplicated: (count) => unreplicated.push(count),
    });
    const [job] = await consumer.take(1);
    if (!job) throw new Error("nothing taken");
    const jobKey = queue.context.keys.job(id.split(":")[1] as string);
    await eventually(async () => (await onReplica.hget(jobKey, "s")) === "processing", 10_000);

    // The replica is promoted while the old master still takes writes (a frozen master waking up).
    await onReplica.replicaof("NO", "ONE");
    const first = await consumer.settle([{ lease: job, kind: "completed", result: { n: 1 } }], 0);
    expect(first.rejected).toEqual([null]);
    expect(unreplicated).toEqual([1]);
    expect(await onReplica.hget(jobKey, "s")).toBe("processing");

    // The old master's writes are gone with it; clients reach the promoted node.
    await master.kill();
    proxy.switchTo(replica.port);

    // The next calls carry the completion again; the promoted node records it once.
    await eventually(async () => {
      await consumer.settle([], 0).catch(() => {});
      return (await onReplica.hget(jobKey, "s")) === "completed";
    }, 20_000);
    const done = await new Queue({ redis: onReplica, name: "failover" }).getJob(id);
    expect(done?.result).toEqual({ n: 1 });
    expect(done?.attempts).toBe(1);
  });
});

describe.each(targets)("replicaAck on %s", (_target, url) => {
  const redis = useRedis(url);
  it("WAITs on the node of the queue and records the outcome", async () => {
    const name = uniqueQueue("ack");
    const queue = new Queue({ redis: redis(), name });
    const { id } = await queue.add({ type: "t", payload: {} });
    const consumer = new Consumer({
      redis: redis(),
      queue: name,
      workerId: "w",
      replicaAck: { replicas: 1, timeoutMs: 10 },
    });
    const [job] = await consumer.take(1);
    if (!job) throw new Error("nothing taken");
    const settled = await consumer.settle([{ lease: job, kind: "completed", result: 7 }], 0);
    expect(settled.rejected).toEqual([null]);
    expect((await queue.getJob(id))?.state).toBe("completed");
    // Sent again (no replica acknowledged here): refused quietly, not reported as a lost lease.
    expect((await consumer.settle([], 0)).rejected).toEqual([]);
  });
});
