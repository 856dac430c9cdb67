/**
 * Shared fixture of the engine's suites: the Redis targets to run against
 * (standalone always, Cluster when the harness provides one), a connection per
 * suite, unique queue names per test, and small waiting helpers.
 */
import { afterAll, beforeAll, inject } from "vitest";
import { createRedis, type RedisClient } from "../src/redis/connection.js";

export const targets: [name: string, url: string][] = [
  ["standalone", inject("redisUrl")],
  ["cluster", inject("redisClusterUrl")],
].filter((target): target is [string, string] => Boolean(target[1]));

/** A command connection for the suite, closed after it. */
export function useRedis(url: string): () => RedisClient {
  let redis: RedisClient | undefined;
  beforeAll(() => {
    redis = createRedis(url);
  });
  afterAll(async () => {
    await redis?.quit();
  });
  return () => {
    if (!redis) throw new Error("connection not open yet");
    return redis;
  };
}

let counter = 0;
export const uniqueQueue = (label = "q") => `${label}-${process.pid}-${Date.now().toString(36)}-${counter++}`;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a truthy value or the timeout passes. */
export async function eventually<T>(
  check: () => Promise<T> | T,
  timeoutMs = 5_000,
  everyMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}
