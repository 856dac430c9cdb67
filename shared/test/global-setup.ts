/**
 * Vitest globalSetup: gives every suite a real standalone Redis and, unless
 * RQ_TEST_CLUSTER=0, a real Redis Cluster for the whole run. REDIS_URL and
 * REDIS_CLUSTER_URL point at existing ones instead. Suites read them with inject().
 * The run gets a temporary directory of its own (temp-guard.ts): removed at the
 * end, and the run fails if a test left anything in it.
 */
import type { TestProject } from "vitest/node";
import { removeTempDirs, startRedisCluster, startRedisServer } from "./redis-harness.js";
import { startTempGuard } from "./temp-guard.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Standalone server, e.g. redis://127.0.0.1:<port>. */
    redisUrl: string;
    /** redis-cluster://host:port,host:port,...; "" when no cluster is available. */
    redisClusterUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // First: the Redis servers' folders and every test worker's os.tmpdir() land inside it.
  const temp = startTempGuard();
  const externalUrl = process.env.REDIS_URL;
  const externalClusterUrl = process.env.REDIS_CLUSTER_URL;
  const startCluster = !externalClusterUrl && process.env.RQ_TEST_CLUSTER !== "0";

  // Started side by side: cluster creation dominates, no need to queue the standalone behind it.
  const [serverResult, clusterResult] = await Promise.allSettled([
    externalUrl ? undefined : startRedisServer(),
    startCluster ? startRedisCluster() : undefined,
  ]);
  const server = serverResult.status === "fulfilled" ? serverResult.value : undefined;
  const cluster = clusterResult.status === "fulfilled" ? clusterResult.value : undefined;
  const teardown = async (): Promise<void> => {
    await Promise.all([server?.stop(), cluster?.stop()]);
    removeTempDirs();
    const left = temp.finish();
    if (left.length > 0) {
      // Vitest reports an error thrown here but keeps the exit code: set it, or CI would pass.
      process.exitCode = 1;
      throw new Error(
        `tests left ${left.length} temporary entries behind (removed now; make their harness clean up): ${left.join(", ")}`,
      );
    }
  };
  for (const result of [serverResult, clusterResult]) {
    if (result.status === "rejected") {
      await teardown();
      throw result.reason;
    }
  }

  project.provide("redisUrl", server?.url ?? externalUrl ?? "");
  project.provide("redisClusterUrl", cluster?.url ?? externalClusterUrl ?? "");
  return teardown;
}
