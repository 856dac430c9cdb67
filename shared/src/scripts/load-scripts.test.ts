/**
 * The scripts as Redis Functions on real servers of their own: every library loads,
 * a server that lost them (restart without persistence) gets them again on the next
 * call, one with an AOF keeps them, reads answer when Redis is out of memory, and a
 * function's runtime error is told apart from a server that could not run it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisServerHandle, startRedisServer } from "../../test/redis-harness.js";
import { isScriptFault } from "../errors.js";
import { Queue } from "../queue/queue.js";
import { createRedis, type RedisClient } from "../redis/connection.js";
import { SCRIPT_NAMES, scriptLibrary, scriptNameOfFunction } from "./load-scripts.js";

type LibraryListing = [
  string,
  string,
  string,
  string,
  string,
  [string, string, string, string, string, string[]][],
];

async function libraryNames(redis: RedisClient): Promise<string[]> {
  const listing = (await redis.call("FUNCTION", "LIST", "LIBRARYNAME", "rq_*")) as LibraryListing[];
  return listing.map((library) => library[1]);
}

describe("scripts as Redis Functions", () => {
  let server: RedisServerHandle;
  let redis: RedisClient;
  beforeAll(async () => {
    server = await startRedisServer();
    redis = createRedis(server.url);
    redis.on("error", () => {});
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  it("every script is a library Redis accepts, named after its code, read-only ones flagged", async () => {
    for (const name of SCRIPT_NAMES) await redis.call("FUNCTION", "LOAD", scriptLibrary(name).code);
    const listing = (await redis.call("FUNCTION", "LIST", "LIBRARYNAME", "rq_*")) as LibraryListing[];
    expect(listing).toHaveLength(SCRIPT_NAMES.length);
    const flagsOf = (script: (typeof SCRIPT_NAMES)[number]) =>
      listing.find((library) => library[1] === scriptLibrary(script).name)?.[5][0]?.[5];
    expect(flagsOf("count-jobs")).toEqual(["no-writes"]);
    expect(flagsOf("settle-and-take")).toEqual([]);
    expect(scriptLibrary("settle-and-take").name).toMatch(/^rq_settle_and_take_[0-9a-f]{16}$/);
    expect(scriptNameOfFunction(scriptLibrary("add-jobs").name)).toBe("add-jobs");
    await redis.call("FUNCTION", "FLUSH");
  });

  it("loads them again on the next call after a restart that lost them", async () => {
    const queue = new Queue({ redis, name: "restart" });
    await queue.add({ type: "t" });
    expect(await libraryNames(redis)).toContain(scriptLibrary("add-jobs").name);
    await server.restart();
    await redis.ping();
    expect(await libraryNames(redis)).toEqual([]);
    await expect(queue.add({ type: "t" })).resolves.toMatchObject({ created: true });
    expect((await queue.counts()).total.pending).toBe(1);
  });

  it("loads them again for a call sent with WAIT in one pipeline (settles that wait for replicas)", async () => {
    const queue = new Queue({ redis, name: "acked" });
    await queue.add({ type: "t" });
    await redis.call("FUNCTION", "FLUSH");
    const [reply, acknowledged] = await queue.context.runAcked("count-jobs", ["pending"], 0, 0);
    expect(acknowledged).toBe(0);
    expect(reply).toEqual(["t", 1]);
  });

  it("answers reads when Redis is out of memory, and refuses a write before it runs", async () => {
    const queue = new Queue({ redis, name: "oom" });
    await queue.add({ type: "t" });
    await queue.counts();
    await redis.config("SET", "maxmemory", "1");
    try {
      await expect(queue.add({ type: "t" })).rejects.toThrow(/OOM/);
      expect((await queue.counts()).total.pending).toBe(1);
    } finally {
      await redis.config("SET", "maxmemory", "0");
    }
    expect((await queue.counts()).total.pending).toBe(1);
  });

  it("tells a function's runtime error (a fault: sending it again cannot help) from a missing one", async () => {
    await redis.call(
      "FUNCTION",
      "LOAD",
      "#!lua name=rq_test_fault\nredis.register_function('rq_test_fault', function() return redis.call('NOSUCH') end)",
    );
    const fault = await redis.call("FCALL", "rq_test_fault", 0).catch((error: Error) => error);
    const missing = await redis.call("FCALL", "rq_test_missing", 0).catch((error: Error) => error);
    expect(isScriptFault(fault)).toBe(true);
    expect(isScriptFault(missing)).toBe(false);
    await redis.call("FUNCTION", "DELETE", "rq_test_fault");
  });
});

describe("scripts on a Redis without Functions", () => {
  it("refuse with an error that names the Redis version needed", async () => {
    // As Redis 6 answers: FCALL renamed away.
    const server = await startRedisServer({ extraArgs: ["--rename-command", "FCALL", ""] });
    const redis = createRedis(server.url);
    redis.on("error", () => {});
    try {
      await expect(new Queue({ redis, name: "old" }).add({ type: "t" })).rejects.toThrow(
        /needs Redis 7\.0 or later/,
      );
    } finally {
      redis.disconnect();
      await server.stop();
    }
  });
});

describe("scripts as Redis Functions, with an AOF", () => {
  it("keeps them across a restart", async () => {
    const server = await startRedisServer({ appendonly: true });
    const redis = createRedis(server.url);
    redis.on("error", () => {});
    try {
      await new Queue({ redis, name: "aof" }).add({ type: "t" });
      await server.restart();
      await redis.ping();
      expect(await libraryNames(redis)).toContain(scriptLibrary("add-jobs").name);
    } finally {
      redis.disconnect();
      await server.stop();
    }
  });
});
