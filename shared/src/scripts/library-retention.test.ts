/**
 * Old versions' libraries on servers of this suite's own (other suites flush and load
 * functions on the shared ones): a library nobody records is deleted from every
 * master a retention period after it was first found, one a process still records
 * stays, this version's own always stay, and other applications' are never touched.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type RedisClusterHandle,
  type RedisServerHandle,
  startRedisCluster,
  startRedisServer,
} from "../../test/redis-harness.js";
import { LIBRARIES_SEEN_KEY } from "../keys.js";
import { Queue } from "../queue/queue.js";
import { createRedis, type RedisClient } from "../redis/connection.js";
import { masterNodes } from "../redis/master-nodes.js";
import { currentLibraryNames, pruneLibraries, recordLibrariesInUse } from "./library-retention.js";
import { scriptLibrary } from "./load-scripts.js";

const DAY = 24 * 60 * 60 * 1_000;
const OLD = "rq_add_jobs_0123456789abcdef";
const FOREIGN = ["myapp_tools", "rq_custom"];

const libraryCode = (name: string) =>
  `#!lua name=${name}\nredis.register_function('${name}_fn', function() return 1 end)`;

async function loadEverywhere(redis: RedisClient, names: string[]): Promise<void> {
  for (const node of masterNodes(redis)) {
    for (const name of names) await node.call("FUNCTION", "LOAD", "REPLACE", libraryCode(name));
  }
}

async function librariesOn(redis: RedisClient): Promise<string[][]> {
  return Promise.all(
    masterNodes(redis).map(async (node) => {
      const listing = (await node.call("FUNCTION", "LIST")) as [string, string][];
      return listing.map((library) => library[1]).sort();
    }),
  );
}

const servers: { name: string; start: () => Promise<RedisServerHandle | RedisClusterHandle> }[] = [
  { name: "standalone", start: () => startRedisServer() },
  { name: "cluster", start: () => startRedisCluster() },
];

describe.each(servers)("script library retention ($name)", ({ start }) => {
  let server: RedisServerHandle | RedisClusterHandle;
  let redis: RedisClient;
  beforeAll(async () => {
    server = await start();
    redis = createRedis(server.url);
  }, 60_000);
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  it("deletes from every master a library nobody recorded for a day after it was found, and only that", async () => {
    await new Queue({ redis, name: "prune" }).add({ type: "t" });
    await loadEverywhere(redis, [OLD, ...FOREIGN]);
    const foundAt = Date.now();
    expect(await pruneLibraries(redis, { now: foundAt })).toEqual({ deleted: [], noticed: [OLD] });
    expect(await pruneLibraries(redis, { now: foundAt + DAY })).toEqual({ deleted: [], noticed: [] });
    expect((await librariesOn(redis)).every((names) => names.includes(OLD))).toBe(true);

    expect(await pruneLibraries(redis, { now: foundAt + DAY + 1 })).toEqual({ deleted: [OLD], noticed: [] });
    const after = await librariesOn(redis);
    for (const names of after) {
      expect(names).not.toContain(OLD);
      expect(names).toEqual(expect.arrayContaining(FOREIGN));
    }
    // This version's own stay, wherever they were loaded.
    expect(after.flat()).toContain(scriptLibrary("add-jobs").name);
    expect(await redis.hget(LIBRARIES_SEEN_KEY, OLD)).toBeNull();
    // Deleted again is nothing: the round is idempotent.
    expect(await pruneLibraries(redis, { now: foundAt + DAY + 2 })).toEqual({ deleted: [], noticed: [] });
  });

  it("keeps an old version's libraries while a process of that version still records them", async () => {
    await loadEverywhere(redis, [OLD]);
    const now = Date.now();
    await redis.hset(LIBRARIES_SEEN_KEY, OLD, String(now - DAY + 60_000));
    expect(await pruneLibraries(redis, { now })).toEqual({ deleted: [], noticed: [] });
    expect((await librariesOn(redis)).every((names) => names.includes(OLD))).toBe(true);
    expect(await pruneLibraries(redis, { now: now + 60_001 })).toEqual({ deleted: [OLD], noticed: [] });
  });

  it("records this version at most once an hour per connection, and every round of pruning records it", async () => {
    const now = Date.now() + 10 * DAY;
    expect(await recordLibrariesInUse(redis, { now, force: true })).toBe(true);
    expect(await recordLibrariesInUse(redis, { now: now + 1_000 })).toBe(false);
    expect(await recordLibrariesInUse(redis, { now: now + 60 * 60 * 1_000 })).toBe(true);
    const recorded = await redis.hmget(LIBRARIES_SEEN_KEY, ...currentLibraryNames());
    expect(recorded.every((at) => at === String(now + 60 * 60 * 1_000))).toBe(true);
  });

  it("forgets, after a day, the records of libraries no master holds", async () => {
    const now = Date.now() + 20 * DAY;
    const neverLoaded = "rq_count_jobs_fedcba9876543210";
    await redis.hset(
      LIBRARIES_SEEN_KEY,
      neverLoaded,
      String(now - DAY - 1),
      "rq_list_jobs_0000000011111111",
      String(now),
    );
    expect(await pruneLibraries(redis, { now })).toEqual({ deleted: [], noticed: [] });
    expect(await redis.hget(LIBRARIES_SEEN_KEY, neverLoaded)).toBeNull();
    expect(await redis.hget(LIBRARIES_SEEN_KEY, "rq_list_jobs_0000000011111111")).toBe(String(now));
  });
});
