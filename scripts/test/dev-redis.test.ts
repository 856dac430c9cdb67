import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createRedis } from "../../shared/src/redis/connection.js";
import { freePort } from "../../shared/test/redis-harness.js";
import { embeddedRedisArgs, REDIS_LOG_FILE } from "../dev-redis.js";

describe("make dev's embedded Redis", () => {
  it("keeps redis-server's banner out of the console: its log goes to the data folder", async () => {
    const dir = await mkdtemp(join(tmpdir(), "rq-dev-redis-"));
    const port = await freePort();
    const child = spawn("redis-server", embeddedRedisArgs(port, dir), { stdio: ["ignore", "pipe", "pipe"] });
    let console = "";
    child.stdout.on("data", (chunk: Buffer) => {
      console += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      console += chunk.toString();
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    const redis = createRedis(`redis://127.0.0.1:${port}`);
    try {
      expect(await redis.ping()).toBe("PONG");
      expect(readFileSync(join(dir, REDIS_LOG_FILE), "utf8")).toContain("Ready to accept connections");
      expect(console).toBe("");
    } finally {
      redis.disconnect();
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
