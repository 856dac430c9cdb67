/**
 * A job the API acknowledged is not lost in a failover (issue 12; the chaos suite's
 * frozen-master scenario found one): with replicaAck, adding WAITs for a replica, and
 * a write no replica confirmed is not reported as done but as NotReplicatedError
 * with the ids written, so the caller submits again with the same idempotency key:
 * that finds the jobs where they survived, and writes them once where they did not.
 */
import { afterAll, describe, expect, it } from "vitest";
import { eventually } from "../../test/engine-fixture.js";
import { startRedisServer } from "../../test/redis-harness.js";
import { NotReplicatedError } from "../errors.js";
import { createRedis } from "../redis/connection.js";
import { Queue } from "./queue.js";

const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

describe("replica acknowledgement of submissions", () => {
  it("reports a write no replica confirmed as not replicated, and a resubmission finds it", {
    timeout: 60_000,
  }, async () => {
    const master = await startRedisServer();
    cleanup.push(() => master.stop());
    const replica = await startRedisServer({ extraArgs: ["--replicaof", "127.0.0.1", String(master.port)] });
    cleanup.push(() => replica.stop());
    const redis = createRedis(master.url);
    cleanup.push(() => redis.disconnect());
    await eventually(async () => /slave0:.*state=online/.test(await redis.info("replication")), 20_000);

    const queue = new Queue({ redis, name: "acked", replicaAck: { replicas: 1, timeoutMs: 2_000 } });
    const first = await queue.add({ type: "t", payload: { n: 1 }, idempotencyKey: "k1" });
    expect(first.created).toBe(true);
    const onReplica = createRedis(replica.url);
    cleanup.push(() => onReplica.disconnect());
    expect(await onReplica.exists(queue.context.keys.job(first.id.split(":")[1] as string))).toBe(1);

    await replica.stop();
    await eventually(async () => /connected_slaves:0/.test(await redis.info("replication")), 20_000);
    const lonely = new Queue({ redis, name: "acked", replicaAck: { replicas: 1, timeoutMs: 50 } });
    const refused = await lonely.add({ type: "t", payload: { n: 2 }, idempotencyKey: "k2" }).catch((e) => e);
    expect(refused).toBeInstanceOf(NotReplicatedError);
    expect(refused).toMatchObject({ code: "not_replicated", replicas: 1, acknowledged: 0 });
    const [written] = (refused as NotReplicatedError).jobIds;
    // The same submission again finds the job the primary holds: one job, not two.
    const again = await new Queue({ redis, name: "acked" }).add({
      type: "t",
      payload: { n: 2 },
      idempotencyKey: "k2",
    });
    expect(again).toEqual({ id: written, created: false });
    expect((await lonely.counts()).total.pending).toBe(2);
  });
});
