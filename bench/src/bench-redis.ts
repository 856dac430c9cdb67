/**
 * The Redis the bench runs on. By default a redis-server of its own on a free
 * loopback port, which it empties between rounds with FLUSHALL. With
 * BENCH_REDIS_URL it uses the user's server only if that holds no keys at all, and
 * between rounds deletes only the keys of its own queues (by pattern), never
 * FLUSHALL. Also reads the INFO figures the scenarios report: memory, main-thread
 * CPU and per-command time.
 */
import { Redis } from "ioredis";
import { startRedisServer } from "../../shared/test/redis-harness.js";
import { parseInfo } from "./redis-info.js";

export interface BenchRedis {
  url: string;
  admin: Redis;
  owned: boolean;
  version: string;
  /** Deletes what a round left behind: everything on our own server, only `patterns` on the user's. */
  reset(patterns: readonly string[]): Promise<void>;
  info(section: string): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

export async function openBenchRedis(userUrl = process.env.BENCH_REDIS_URL): Promise<BenchRedis> {
  const server = userUrl ? undefined : await startRedisServer();
  const url = userUrl ?? server?.url ?? "";
  const admin = new Redis(url);
  const info = async (section: string) => parseInfo(await admin.info(section));
  if (userUrl) {
    const keyspace = await info("keyspace");
    if (Object.keys(keyspace).length > 0) {
      admin.disconnect();
      throw new Error(
        `BENCH_REDIS_URL points at a Redis that holds keys (${Object.keys(keyspace).join(", ")}); ` +
          "the bench never flushes a server it did not start. Point it at an empty server, or unset it.",
      );
    }
  }
  const version = (await info("server")).redis_version ?? "?";
  return {
    url,
    admin,
    owned: !userUrl,
    version,
    async reset(patterns) {
      if (!userUrl) {
        await admin.flushall("SYNC");
        return;
      }
      for (const pattern of patterns) {
        let cursor = "0";
        do {
          const [next, keys] = await admin.scan(cursor, "MATCH", pattern, "COUNT", 1000);
          cursor = next;
          if (keys.length > 0) await admin.del(...keys);
        } while (cursor !== "0");
      }
    },
    info,
    async stop() {
      admin.disconnect();
      await server?.stop();
    },
  };
}
