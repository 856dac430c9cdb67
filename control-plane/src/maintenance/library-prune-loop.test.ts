/**
 * The control plane's pruning round on a server of its own (other suites flush and load
 * functions on the shared one): it deletes an old version's library once nobody has
 * recorded it for a day, says so in the log, and skips while Redis is down.
 */
import { Writable } from "node:stream";
import { createRedis } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../../../shared/test/engine-fixture.js";
import { type RedisServerHandle, startRedisServer } from "../../../shared/test/redis-harness.js";
import { createLogger } from "../logging/logger.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";
import { LibraryPruneLoop } from "./library-prune-loop.js";

const OLD = "rq_settle_and_take_00000000deadbeef";
const DAY = 24 * 60 * 60 * 1_000;

let server: RedisServerHandle;
let t: TestApp;
beforeAll(async () => {
  server = await startRedisServer();
  t = await createTestApp(server.url);
});
afterAll(async () => {
  await t.close();
  await server.stop();
});

describe("LibraryPruneLoop", () => {
  it("deletes an old version's library a day after nobody recorded it, and logs which", async () => {
    await t.redis.call(
      "FUNCTION",
      "LOAD",
      `#!lua name=${OLD}\nredis.register_function('${OLD}', function() return 1 end)`,
    );
    const lines: string[] = [];
    const log = createLogger(
      "info",
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const loop = new LibraryPruneLoop(t.redis, t.services.breaker, log);
    const now = Date.now();
    expect(await loop.runOnce(now)).toEqual({ deleted: [], noticed: [OLD] });
    expect(await loop.runOnce(now + DAY + 1)).toEqual({ deleted: [OLD], noticed: [] });
    expect(await t.redis.call("FUNCTION", "LIST", "LIBRARYNAME", OLD)).toEqual([]);
    expect(lines.join("")).toContain(OLD);
  });

  it("skips its round while Redis is down", async () => {
    await server.stop();
    try {
      await eventually(() => t.redis.status !== "ready");
      const loop = new LibraryPruneLoop(t.redis, t.services.breaker, createLogger("silent"));
      expect(await loop.runOnce()).toBeNull();
    } finally {
      await server.start();
    }
  });

  it("logs a round that fails (a hung Redis) and answers null instead of throwing", async () => {
    const lines: string[] = [];
    const log = createLogger(
      "info",
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const redis = createRedis(server.url, { failFast: true, commandTimeoutMs: 300 });
    redis.on("error", () => {});
    // Both ready: the breaker (on the app's connection) must let the round try.
    await eventually(() => redis.status === "ready" && t.redis.status === "ready");
    server.freeze();
    try {
      expect(await new LibraryPruneLoop(redis, t.services.breaker, log).runOnce()).toBeNull();
      expect(lines.join("")).toContain("pruning old script libraries failed");
    } finally {
      server.thaw();
      redis.disconnect();
    }
  });
});
