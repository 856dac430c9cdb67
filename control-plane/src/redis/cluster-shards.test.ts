/**
 * The API on a Redis Cluster with one shard in trouble (a private 3-master cluster
 * that keeps serving healthy slots: cluster-require-full-coverage no):
 *   - a slot stuck half-migrated makes ioredis give up with a wrapped MOVED: 503, not 500;
 *   - a frozen master opens the breaker of its node only: queues on the other
 *     masters keep answering 2xx all along;
 *   - a batch spanning a healthy and a hung queue says per queue what was written.
 */
import { type Job, nodeServing, queueKeys } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type RedisClusterHandle,
  type RedisServerHandle,
  startRedisCluster,
} from "../../../shared/test/redis-harness.js";
import { createTestApp, type TestApp, uniqueQueue } from "../testing/test-app.js";

let cluster: RedisClusterHandle;
let t: TestApp;
beforeAll(async () => {
  cluster = await startRedisCluster({ extraArgs: ["--cluster-require-full-coverage", "no"] });
  t = await createTestApp(cluster.url, { RQ_REDIS_TIMEOUT_MS: "1000" });
  // Load the scripts on every master first (off the request deadline): a queue per master.
  const names = new Map<string, string>();
  while (names.size < cluster.nodes.length) {
    const queue = uniqueQueue("warm");
    names.set(nodeServing(t.redis, queueKeys(queue).events) as string, queue);
  }
  await Promise.all([...names.values()].map((queue) => t.services.queues.get(queue).add({ type: "x" })));
});
afterAll(async () => {
  await t?.close();
  await cluster?.stop();
});

/** Two fresh queues served by different masters, and the harness handle of each master. */
function queuesOnTwoMasters(): { a: string; b: string; nodeA: RedisServerHandle; nodeB: RedisServerHandle } {
  const node = (queue: string) => nodeServing(t.redis, queueKeys(queue).events) as string;
  const a = uniqueQueue("a");
  let b = uniqueQueue("b");
  while (node(b) === node(a)) b = uniqueQueue("b");
  const handle = (address: string) =>
    cluster.nodes.find((n) => `${n.host}:${n.port}` === address) as RedisServerHandle;
  return { a, b, nodeA: handle(node(a)), nodeB: handle(node(b)) };
}

const submit = (queue: string) => t.request("/v1/jobs", { method: "POST", json: { type: "x", queue } });

/** Migrating a slot to a master that is not importing it: ASK there, MOVED back, until ioredis gives up. */
async function strandSlot(queue: string, from: RedisServerHandle, to: RedisServerHandle) {
  const slot = Number(await t.redis.cluster("KEYSLOT", queueKeys(queue).events));
  const { Redis } = await import("ioredis");
  const owner = new Redis(from.url);
  const target = new Redis(to.url);
  const targetId = await target.cluster("MYID");
  target.disconnect();
  await owner.cluster("SETSLOT", slot, "MIGRATING", targetId);
  return async () => {
    await owner.cluster("SETSLOT", slot, "STABLE");
    owner.disconnect();
  };
}

describe("the API on a Cluster with one failing shard", () => {
  it("answers 503 with Retry-After when ioredis wraps a redirection storm", async () => {
    const { a, nodeA, nodeB } = queuesOnTwoMasters();
    expect((await submit(a)).status).toBe(201);
    // A declared key missing on the migrating owner is what makes Redis redirect the script
    // (ASK, then MOVED back: the storm); the submission wrote the meta hash's byte count.
    await t.redis.del(queueKeys(a).meta);
    const restore = await strandSlot(a, nodeA, nodeB);
    try {
      const res = await submit(a);
      const body = (await res.json()) as { error: { code: string } };
      expect({ status: res.status, code: body.error.code }).toEqual({
        status: 503,
        code: "redis_unavailable",
      });
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    } finally {
      await restore();
    }
  });

  it("answers 503 when a script of a queue whose slot is migrating meets a key that is not there", async () => {
    const { a, nodeA, nodeB } = queuesOnTwoMasters();
    expect((await submit(a)).status).toBe(201);
    // Every declared key is on the owner, so Redis runs the script there; the new job's
    // key is not, and in a migrating slot Redis refuses the script's access to it.
    const seqBefore = await t.redis.get(queueKeys(a).sequence);
    const restore = await strandSlot(a, nodeA, nodeB);
    try {
      const res = await submit(a);
      const body = (await res.json()) as { error: { code: string } };
      expect({ status: res.status, code: body.error.code }).toEqual({
        status: 503,
        code: "redis_unavailable",
      });
    } finally {
      await restore();
    }
    // Refused before its first write: not even a job number was taken.
    expect(await t.redis.get(queueKeys(a).sequence)).toBe(seqBefore);
  });

  it("answers per queue what a batch over a healthy and a hung queue wrote (207, never 500)", async () => {
    const { a, b, nodeA } = queuesOnTwoMasters();
    expect((await submit(a)).status).toBe(201);
    expect((await submit(b)).status).toBe(201);
    // A's master serves reads but holds every write: the batch's checks pass, its write to A hangs.
    const { Redis } = await import("ioredis");
    const admin = new Redis(nodeA.url);
    await admin.call("CLIENT", "PAUSE", "5000", "WRITE");
    let res: Response;
    try {
      res = await t.request("/v1/jobs/batch", {
        method: "POST",
        json: {
          jobs: [
            { type: "x", queue: b, payload: 0 },
            { type: "x", queue: a, payload: 1 },
            { type: "x", queue: b, payload: 2 },
          ],
        },
      });
    } finally {
      await admin.call("CLIENT", "UNPAUSE");
      admin.disconnect();
    }
    expect(res.status).toBe(207);
    const body = (await res.json()) as {
      jobs: (Job | null)[];
      queues: { queue: string; status: number; created: number; error?: { code: string } }[];
    };
    expect(body.jobs.map((job) => job?.payload ?? null)).toEqual([0, null, 2]);
    expect(body.queues).toEqual([
      { queue: b, status: 201, created: 2 },
      { queue: a, status: 503, created: 0, error: expect.objectContaining({ code: "redis_unavailable" }) },
    ]);
    const listed = (await (await t.request(`/v1/jobs?queue=${b}&state=pending`)).json()) as { items: Job[] };
    expect(listed.items).toHaveLength(3);
  });

  it("keeps queues on healthy masters at 2xx while another master is frozen", async () => {
    const { a, b, nodeA } = queuesOnTwoMasters();
    expect((await submit(a)).status).toBe(201);
    expect((await submit(b)).status).toBe(201);
    nodeA.freeze();
    try {
      const statuses = { a: [] as number[], b: [] as number[] };
      // Enough failures on A to open its breaker, each followed by a request to B.
      for (let i = 0; i < 4; i++) {
        statuses.a.push((await submit(a)).status);
        statuses.b.push((await submit(b)).status);
        statuses.b.push((await t.request(`/v1/jobs?queue=${b}&state=pending`)).status);
      }
      expect(statuses.a).toEqual([503, 503, 503, 503]);
      expect(statuses.b.every((status) => status >= 200 && status < 300)).toBe(true);
      // A's breaker is open: refused at once, naming the node.
      const started = performance.now();
      const refused = await submit(a);
      expect(refused.status).toBe(503);
      expect(performance.now() - started).toBeLessThan(100);
      expect(t.services.breaker.blockedReason(t.services.breaker.nodeOf(a))).toMatch(/node .* is failing/);
    } finally {
      nodeA.thaw();
    }
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (status !== 201 && Date.now() < deadline) {
      status = (await submit(a)).status;
      if (status !== 201) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status).toBe(201);
  });
});
