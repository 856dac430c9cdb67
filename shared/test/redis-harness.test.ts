/**
 * Proves the real-Redis harness: servers answer, AOF data survives a crash, stopped
 * servers really stop, and a cluster spreads keys over its masters.
 */
import net from "node:net";
// The named export: under NodeNext the default import types as the module namespace.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from "vitest";
import { type RedisClusterHandle, startRedisCluster, startRedisServer } from "./redis-harness.js";

/** A client that fails fast instead of reconnecting, so "server is down" shows up as an error. */
function connect(url: string): Redis {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  onTestFinished(() => client.disconnect());
  return client;
}

/** "connected", or the error code of a plain TCP connection attempt. */
function connectionOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe("startRedisServer", () => {
  it("starts a standalone server that answers PING", async () => {
    const server = await startRedisServer();
    onTestFinished(() => server.stop());

    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(await connect(server.url).ping()).toBe("PONG");
  });

  it("keeps appendfsync=always writes across kill() and start()", async () => {
    const server = await startRedisServer({ appendonly: true, appendfsync: "always" });
    onTestFinished(() => server.stop());
    const before = connect(server.url);
    await before.set("survivor", "still here");
    before.disconnect();

    await server.kill();
    await server.start();

    expect(await connect(server.url).get("survivor")).toBe("still here");
  });

  it("refuses connections after stop() and serves again after start() and restart()", async () => {
    const server = await startRedisServer();
    onTestFinished(() => server.stop());

    await server.stop();
    expect(await connectionOutcome(server.port)).toBe("ECONNREFUSED");

    await server.start();
    expect(await connect(server.url).ping()).toBe("PONG");
    await server.restart();
    expect(await connect(server.url).ping()).toBe("PONG");
  });

  it("serves the standalone URL provided by globalSetup", async () => {
    expect(await connect(inject("redisUrl")).ping()).toBe("PONG");
  });
});

describe("startRedisCluster", () => {
  let cluster: RedisClusterHandle;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  });
  afterAll(() => cluster?.stop());

  it("reports cluster_state:ok on every node", async () => {
    const ports = cluster.startupNodes.map(({ port }) => port);
    expect(cluster.url).toBe(`redis-cluster://${ports.map((port) => `127.0.0.1:${port}`).join(",")}`);
    for (const node of cluster.nodes) {
      expect(await connect(node.url).cluster("INFO")).toMatch(/^cluster_state:ok\r$/m);
    }
  });

  it("stores and reads keys on different slots across all masters", async () => {
    const client = new Redis.Cluster(cluster.startupNodes);
    onTestFinished(() => client.disconnect());
    const keys = Array.from({ length: 30 }, (_, i) => `harness:key:${i}`);

    for (const key of keys) await client.set(key, `value of ${key}`);
    for (const key of keys) expect(await client.get(key)).toBe(`value of ${key}`);

    const slots = await Promise.all(keys.map((key) => client.cluster("KEYSLOT", key)));
    expect(new Set(slots).size).toBeGreaterThan(1);
    const keysPerMaster = await Promise.all(client.nodes("master").map((node) => node.dbsize()));
    expect(keysPerMaster).toHaveLength(cluster.nodes.length);
    for (const count of keysPerMaster) expect(count).toBeGreaterThan(0);
  });
});

describe("startRedisCluster with replicas", () => {
  let cluster: RedisClusterHandle;
  beforeAll(async () => {
    cluster = await startRedisCluster({ replicas: 1, nodeTimeoutMs: 1_000 });
  });
  afterAll(() => cluster?.stop());

  it("gives every master a replica in sync, and fails a killed master over to it", async () => {
    expect(cluster.nodes).toHaveLength(6);
    const roles = await Promise.all(cluster.nodes.map((node) => cluster.role(node)));
    const masters = cluster.nodes.filter((_, i) => roles[i]?.role === "master");
    expect(masters).toHaveLength(3);
    for (const [i, role] of roles.entries()) {
      if (role?.role === "replica") expect(role.linkUp, `node ${cluster.nodes[i]?.port}`).toBe(true);
      else expect(role?.replicaPorts).toHaveLength(1);
    }

    const victim = masters[0] as (typeof masters)[number];
    const victimRole = roles[cluster.nodes.indexOf(victim)];
    const replica = cluster.nodes.find((node) => node.port === victimRole?.replicaPorts[0]);
    if (!replica) throw new Error("the killed master's replica is not a node of the cluster");
    await victim.kill();
    await cluster.waitForRole(replica, "master");
    await victim.start();
    // It comes back as the replica of the node that replaced it.
    await cluster.waitForRole(victim, "replica", { masterPort: replica.port });
  });
});
