/**
 * The Redis nodes' real user-data, run against real redis-server processes on 127.0.0.x
 * (testing/loopback-redis-nodes.ts): formation in any boot order, a second run that changes
 * nothing, replacement of a master and of a replica with the data volume kept or lost, no ghost
 * nodes afterwards, and the planned master/AZ layout restored. Every wait is for a state.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planRedisCluster } from "./redis-user-data.js";
import { type ClusterNode, LoopbackRedisNodes } from "./testing/loopback-redis-nodes.js";

const NODES = 6;
const REPLICAS = 1;
const AZS = 3;
const plan = planRedisCluster(NODES, REPLICAS, AZS);
const plannedMasters = plan.filter((n) => n.role === "master").map((n) => n.index);

async function waitFor(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("Redis user-data on loopback", { timeout: 120_000 }, () => {
  const nodes = new LoopbackRedisNodes(NODES, REPLICAS, AZS);
  beforeAll(() => nodes.init());
  afterAll(() => nodes.close());

  const ipOf = (i: number) => nodes.ips[i] as string;
  /** Every node agrees: the planned masters serve all slots, each replica follows its planned master. */
  function plannedLayoutHolds(): boolean {
    try {
      expectPlannedLayout();
      return nodes.ips.every((_, i) => {
        const view = nodes.clusterNodes(i);
        return (
          view.length === NODES &&
          view.every((n) => !n.flags.some((f) => f.startsWith("fail") || f === "noaddr"))
        );
      });
    } catch {
      return false;
    }
  }
  async function expectPlannedLayoutSoon(): Promise<void> {
    // Roles reach every node by gossip: wait for them to agree, then assert with messages.
    await waitFor("every node agreeing on the planned layout", plannedLayoutHolds).catch(() => undefined);
    expectPlannedLayout();
  }
  function expectPlannedLayout(): void {
    for (let i = 0; i < NODES; i++) expect(nodes.clusterState(i), `cluster_state on node ${i}`).toBe("ok");
    const view = nodes.clusterNodes(0);
    const byIp = new Map(view.map((n) => [n.ip, n]));
    expect(view).toHaveLength(NODES);
    for (const node of plan) {
      const entry = byIp.get(ipOf(node.index)) as ClusterNode;
      if (node.role === "master") {
        expect(entry.flags, `node ${node.index}`).toContain("master");
        expect(entry.slots.length, `node ${node.index} serves slots`).toBeGreaterThan(0);
      } else {
        expect(entry.flags, `node ${node.index}`).toContain("slave");
        expect(entry.masterId, `node ${node.index}'s master`).toBe(
          byIp.get(ipOf(node.masterIndex ?? -1))?.id,
        );
      }
    }
  }
  function expectNoGhosts(): void {
    for (let i = 0; i < NODES; i++) {
      const view = nodes.clusterNodes(i);
      expect(view, `node ${i} knows exactly the live nodes`).toHaveLength(NODES);
      for (const entry of view) {
        expect(entry.flags.filter((f) => ["fail", "fail?", "noaddr", "handshake"].includes(f))).toEqual([]);
        expect(entry.ip).not.toBe("");
      }
    }
  }
  const layoutSnapshot = () =>
    nodes
      .clusterNodes(0)
      .map((n) => [
        n.id,
        n.ip,
        n.flags.filter((f) => f !== "myself").join(","),
        n.masterId,
        n.slots.join(" "),
      ])
      .sort();
  const keys = Array.from({ length: 40 }, (_, k) => `job:${k}`);
  const readAll = () => keys.map((key) => nodes.cli(0, "-c", "get", key).trim());

  it("forms the planned cluster whatever order the nodes boot in", async () => {
    const order = [5, 3, 1, 4, 2, 0];
    const runs = order.map(async (i, position) => {
      await new Promise((resolve) => setTimeout(resolve, position * 300));
      return { i, ...(await nodes.runUserData(i)) };
    });
    for (const run of await Promise.all(runs)) expect(run.code, `node ${run.i}:\n${run.output}`).toBe(0);
    await expectPlannedLayoutSoon();
    // Writes need a replica in sync (min-replicas-to-write 1): refused (NOREPLICAS) until the
    // replicas have synced and acknowledged, then accepted.
    for (const key of keys) {
      await waitFor(`a write of ${key}`, () => nodes.cli(0, "-c", "set", key, `v-${key}`).trim() === "OK");
    }
  });

  it("changes nothing when run again on every node", async () => {
    const before = layoutSnapshot();
    const runs = await Promise.all(nodes.ips.map((_, i) => nodes.runUserData(i)));
    for (const [i, run] of runs.entries()) {
      expect(run.code, run.output).toBe(0);
      expect(run.output, `node ${i}`).toContain("already a cluster member");
      expect(run.output).not.toMatch(/forgetting|CLUSTER FAILOVER|adding|creating/);
    }
    expect(layoutSnapshot()).toEqual(before);
  });

  it("replaces a master keeping its data volume: same identity, masters back in their AZs", async () => {
    const master = plannedMasters[1] as number;
    const oldId = nodes.self(master)?.id;
    nodes.replace(master, { keepVolume: true });
    // Its replica (in another AZ) takes over the slots meanwhile.
    const replica = plan.find((n) => n.masterIndex === master)?.index as number;
    await waitFor("the replica's promotion", () => nodes.self(replica)?.flags.includes("master") ?? false);
    const run = await nodes.runUserData(master, { RQ_REJOIN_GRACE_SECONDS: "1" });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("already a cluster member");
    expect(run.output).toContain("layout restored");
    // A node that was only down is never forgotten: it could not come back.
    expect(run.output).not.toContain("forgetting");
    expect(nodes.self(master)?.id).toBe(oldId);
    await expectPlannedLayoutSoon();
    expectNoGhosts();
    expect(readAll()).toEqual(keys.map((key) => `v-${key}`));
  });

  it("replaces a replica whose volume was lost: the old identity is forgotten everywhere", async () => {
    const replica = plan.find((n) => n.role === "replica")?.index as number;
    const oldId = nodes.self(replica)?.id as string;
    nodes.replace(replica, { keepVolume: false });
    await waitFor("the survivors marking it failed", () =>
      nodes.clusterNodes(0).some((n) => n.id === oldId && n.flags.includes("fail")),
    );
    const run = await nodes.runUserData(replica, { RQ_REJOIN_GRACE_SECONDS: "1" });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain(`forgetting the departed node ${oldId}`);
    expect(nodes.self(replica)?.id).not.toBe(oldId);
    await expectPlannedLayoutSoon();
    expectNoGhosts();
  });

  it("replaces a master whose volume was lost: it rejoins its shard and takes its slots back", async () => {
    const master = plannedMasters[2] as number;
    const oldId = nodes.self(master)?.id as string;
    const replica = plan.find((n) => n.masterIndex === master)?.index as number;
    nodes.replace(master, { keepVolume: false });
    await waitFor("the replica's promotion", () => nodes.self(replica)?.flags.includes("master") ?? false);
    const run = await nodes.runUserData(master, { RQ_REJOIN_GRACE_SECONDS: "1" });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("rejoined the cluster");
    expect(run.output).toContain("layout restored");
    expect(nodes.self(master)?.id).not.toBe(oldId);
    await expectPlannedLayoutSoon();
    expectNoGhosts();
    // The data survived on the replica and came back with the failover.
    expect(readAll()).toEqual(keys.map((key) => `v-${key}`));
  });
});
