/**
 * Test support: an app wired to a real Redis (no server; requests go through
 * `app.request()`), unique queue names, and JSON request helpers.
 */
import { randomUUID } from "node:crypto";
import { createRedis, type RedisClient } from "@rqueue/shared";
import { openBlobStore } from "@rqueue/shared/blobs";
import type { Hono } from "hono";
import type { AppEnv } from "../app/app-env.js";
import { createApp } from "../app/create-app.js";
import { type AppServices, createServices } from "../app/services.js";
import { loadConfig } from "../config/config.js";
import { commandTimeoutFor } from "../http/redis-deadline.js";
import { createLogger } from "../logging/logger.js";

export interface TestApp {
  app: Hono<AppEnv>;
  services: AppServices;
  redis: RedisClient;
  request(path: string, init?: RequestInit & { json?: unknown; key?: string }): Promise<Response>;
  close(): Promise<void>;
}

export const uniqueQueue = (prefix = "q") => `${prefix}-${randomUUID().slice(0, 8)}`;

export async function waitUntilReady(redis: RedisClient, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (redis.status !== "ready") {
    if (Date.now() > deadline) throw new Error(`Redis not ready after ${timeoutMs} ms (${redis.status})`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function createTestApp(redisUrl: string, env: Record<string, string> = {}): Promise<TestApp> {
  const config = loadConfig({
    REDIS_URL: redisUrl,
    LOG_LEVEL: "silent",
    RQ_DASHBOARD_DIR: "/nonexistent-dashboard",
    // Most suites submit types no worker runs; the type-registry suite turns this on.
    RQ_REQUIRE_REGISTERED_TYPES: "0",
    ...env,
  });
  // As the server connects (start-server.ts): fail fast, and a per-command timeout.
  const redis = createRedis(redisUrl, {
    failFast: true,
    commandTimeoutMs: commandTimeoutFor(config.redisTimeoutMs),
  });
  redis.on("error", () => {});
  await waitUntilReady(redis);
  const blobs = config.blobs ? openBlobStore(config.blobs) : null;
  const services = createServices(config, redis, createLogger("silent"), null, null, blobs);
  const app = createApp(services);
  return {
    app,
    services,
    redis,
    request(path, init = {}) {
      const { json, key, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (json !== undefined) headers.set("content-type", "application/json");
      if (key) headers.set("authorization", `Bearer ${key}`);
      return Promise.resolve(
        app.request(path, {
          ...rest,
          headers,
          ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
        }),
      );
    },
    async close() {
      services.events.close();
      services.eventHub.close();
      redis.disconnect();
    },
  };
}

/**
 * An app whose requests have a Redis deadline of `deadlineMs`, with the add script
 * already loaded: loading it on a loaded machine can take longer than a short deadline.
 */
export async function createShortDeadlineApp(redisUrl: string, deadlineMs: number): Promise<TestApp> {
  const app = await createTestApp(redisUrl, { RQ_REDIS_TIMEOUT_MS: String(deadlineMs) });
  await app.services.queues.get(uniqueQueue()).add({ type: "warm-up" });
  return app;
}
