/**
 * The unavailability classifier over real errors: a private 3-master Cluster is put
 * through a slot stuck half-migrated (ASK/MOVED ping-pong, TRYAGAIN), a node that
 * stops serving a slot (CLUSTERDOWN) and a killed master, and every error ioredis
 * hands back must classify as unavailable; domain errors must not.
 */
import { type Cluster, Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisClusterHandle, startRedisCluster } from "../../test/redis-harness.js";
import { createRedis } from "./connection.js";
import { isRedisUnavailable, RedisUnavailableError } from "./redis-errors.js";

let cluster: RedisClusterHandle;
beforeAll(async () => {
  cluster = await startRedisCluster();
});
afterAll(() => cluster?.stop());

/** A client as the control plane opens one (fail fast, command timeout), once connected. */
async function ready(url: string): Promise<Cluster> {
  const client = createRedis(url, { failFast: true, commandTimeoutMs: 2_000 }) as Cluster;
  if (client.status !== "ready") await new Promise((resolve) => client.once("ready", resolve));
  return client;
}

async function failure(run: () => Promise<unknown>): Promise<Error> {
  try {
    await run();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the command to fail");
}

/** The node serving `key`, its id, and another master's id. */
async function owners(client: Cluster, key: string) {
  const slot = Number(await client.cluster("KEYSLOT", key));
  const nodes = (await client.cluster("NODES")) as string;
  const masters = nodes
    .trim()
    .split("\n")
    .map((line) => line.split(" "))
    .filter((fields) => fields[2]?.includes("master"))
    .map((fields) => ({ id: fields[0] as string, port: Number(fields[1]?.split(":")[1]?.split("@")[0]) }));
  const [owner] = client.slots[slot] ?? [];
  const ownerPort = Number(owner?.split(":")[1]);
  const self = masters.find((master) => master.port === ownerPort);
  const other = masters.find((master) => master.port !== ownerPort);
  if (!self || !other) throw new Error(`no owner for slot ${slot}`);
  return { slot, self, other, direct: new Redis(`redis://127.0.0.1:${ownerPort}`) };
}

describe("isRedisUnavailable on a Cluster's real errors", () => {
  it("classifies a redirection storm, TRYAGAIN and CLUSTERDOWN, wrapped or not", async () => {
    const client = await ready(cluster.url);
    const key = "{storm}present";
    await client.set(key, "1");
    const { slot, self, other, direct } = await owners(client, key);
    try {
      // Migrating to a node that is not importing: ASK there, MOVED back, until ioredis gives up.
      await direct.cluster("SETSLOT", slot, "MIGRATING", other.id);
      const storm = await failure(() => client.get("{storm}missing"));
      expect(storm.message).toMatch(/^Too many Cluster redirections\. Last error: ReplyError: (MOVED|ASK) /);
      // Some keys here and some gone: the node asks to try again; ioredis retries into the storm.
      const tryAgain = await failure(() => client.mget(key, "{storm}missing"));
      expect(tryAgain.message).toMatch(/^Too many Cluster redirections\. Last error: ReplyError: /);
      const bare = await failure(() => direct.mget(key, "{storm}missing"));
      expect(bare.name).toBe("ReplyError");
      expect(bare.message).toMatch(/^TRYAGAIN /);
      await direct.cluster("SETSLOT", slot, "STABLE");

      // A node that stops serving one slot reports the whole cluster down (full coverage required).
      await direct.cluster("DELSLOTS", slot);
      const down = await failsWith(() => direct.get(key), /^CLUSTERDOWN/);
      const wrappedDown = await failure(() => client.get(key));
      // Which reply comes last depends on gossip: the other nodes may still send the client back.
      expect(wrappedDown.message).toMatch(
        /^Too many Cluster redirections\. Last error: ReplyError: (CLUSTERDOWN|MOVED|ASK) /,
      );
      await direct.cluster("ADDSLOTS", slot);

      for (const error of [storm, tryAgain, bare, down, wrappedDown]) {
        expect({ message: error.message, unavailable: isRedisUnavailable(error) }).toEqual({
          message: error.message,
          unavailable: true,
        });
      }
      expect(self.id).not.toBe(other.id);
    } finally {
      await direct.cluster("SETSLOT", slot, "STABLE").catch(() => {});
      await direct.cluster("ADDSLOTS", slot).catch(() => {});
      direct.disconnect();
      client.disconnect();
    }
  });

  it("classifies a bare MOVED reply, as a pipelined command gets one when its slot moved", async () => {
    // A failover moves the slot: a command of a pipeline (a script and its WAIT) that went to
    // the old owner can come back as a bare MOVED reply: ioredis did not redirect it in the
    // chaos failover scenario, whose control plane answered 500 for it.
    const client = await ready(cluster.url);
    const { direct, self } = await owners(client, "{moved}k");
    try {
      let elsewhere = "";
      for (let i = 0; !elsewhere; i++) {
        const [owner] = client.slots[Number(await client.cluster("KEYSLOT", `{moved-${i}}k`))] ?? [];
        if (Number(owner?.split(":")[1]) !== self.port) elsewhere = `{moved-${i}}k`;
      }
      const replies = (await direct.pipeline().get(elsewhere).call("WAIT", 0, 10).exec()) ?? [];
      const moved = replies[0]?.[0];
      expect(moved?.message).toMatch(/^MOVED \d+ 127\.0\.0\.1:\d+$/);
      expect(isRedisUnavailable(moved)).toBe(true);
    } finally {
      direct.disconnect();
      client.disconnect();
    }
  });

  it("classifies a killed master's connection errors; domain errors stay domain errors", async () => {
    const client = await ready(cluster.url);
    const key = "{killed}k";
    await client.set(key, "1");
    const wrongType = await failure(() => client.lpush(key, "x"));
    const scriptBug = await failure(() => client.eval("return redis.call('nope')", 1, key));
    const { direct } = await owners(client, key);
    const port = Number(direct.options.port);
    direct.disconnect();
    await cluster.nodes.find((node) => node.port === port)?.kill();
    const errors = [await failure(() => client.get(key)), await failure(() => client.set(key, "2"))];
    const fresh = createRedis(`redis-cluster://127.0.0.1:${port}`, { failFast: true }) as Cluster;
    errors.push(await failure(() => fresh.get(key)));
    fresh.disconnect();
    client.disconnect();
    for (const error of errors) {
      expect({ message: error.message, unavailable: isRedisUnavailable(error) }).toEqual({
        message: error.message,
        unavailable: true,
      });
    }
    expect(isRedisUnavailable(wrongType)).toBe(false);
    expect(isRedisUnavailable(scriptBug)).toBe(false);
  });
});

describe("isRedisUnavailable on recorded messages", () => {
  it.each([
    "Too many Cluster redirections. Last error: ReplyError: MOVED 866 127.0.0.1:7001",
    "Too many Cluster redirections. Last error: ReplyError: CLUSTERDOWN The cluster is down",
    "Too many Cluster redirections. Last error: ReplyError: TRYAGAIN Multiple keys request during rehashing of slot",
    "Too many Cluster redirections. Last error: Error: Connection is closed.",
    "CLUSTERDOWN Hash slot not served",
    "TRYAGAIN Multiple keys request during rehashing of slot",
    "READONLY You can't write against a read only replica.",
    "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)",
    "NOREPLICAS Not enough good replicas to write.",
    "LOADING Redis is loading the dataset in memory",
    "Connection is closed.",
    "connect ECONNREFUSED 127.0.0.1:6379",
    "Stream isn't writeable and enableOfflineQueue options is false",
    "Cluster isn't ready and enableOfflineQueue options is false",
    "Command timed out",
    "Failed to refresh slots cache.",
    "Cluster is ended.",
  ])("%s → unavailable", (message) => {
    expect(isRedisUnavailable(new Error(message))).toBe(true);
  });

  it.each([
    "WRONGTYPE Operation against a key holding the wrong kind of value",
    "ERR user_script:1: Script attempted to access nonexistent global variable 'nope'",
    "rq-invalid-argument: lease",
    "NOSCRIPT No matching script. Please use EVAL.",
    "ERR Function not found",
  ])("%s → not unavailable", (message) => {
    expect(isRedisUnavailable(new Error(message))).toBe(false);
  });

  it("honours the error type and ignores non-errors", () => {
    expect(isRedisUnavailable(new RedisUnavailableError("breaker open"))).toBe(true);
    expect(isRedisUnavailable("Connection is closed.")).toBe(false);
  });
});

/** The node updates its state on its own timer: retry until the command fails as expected. */
async function failsWith(run: () => Promise<unknown>, pattern: RegExp): Promise<Error> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      await run();
    } catch (error) {
      if (pattern.test((error as Error).message)) return error as Error;
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`no error matching ${pattern} within 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
