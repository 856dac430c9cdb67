/**
 * Archive lag under a drain (part of `make bench-full`): 20,000 no-op jobs
 * (BENCH_LAG_JOBS) drained at full speed by a ConsumeLoop (concurrency 50,
 * completed kept by count, as in `make bench`) while an archiver in its own
 * process writes them to PostgreSQL. Samples the lag every 50 ms and reports the
 * drain rate, the largest lag (entries and seconds), how long the archive took to
 * catch up after the drain, and how many jobs Redis had already trimmed before
 * the archiver read them (retention by count outruns a lagging archiver).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ConsumeLoop, Consumer, createRedis, Queue } from "@rqueue/shared";
import { readArchiveLag } from "../../../control-plane/src/archive/archive-lag.js";
import { createPostgresClient } from "../../../control-plane/src/archive/sql-client.js";
import { createTestDatabase } from "../../../control-plane/src/testing/postgres-harness.js";
import { startRedisServer } from "../../../shared/test/redis-harness.js";

const JOBS = Number(process.env.BENCH_LAG_JOBS ?? 20_000);
const CHILD = fileURLToPath(new URL("../../../control-plane/src/testing/archiver-child.ts", import.meta.url));
const settings = { retention: { keepCompleted: Number(process.env.BENCH_LAG_KEEP ?? 10_000) } };

export interface LagResult {
  jobs: number;
  drainJobsPerSecond: number;
  maxLagEntries: number;
  maxLagSeconds: number;
  catchUpAfterDrainMs: number;
  archived: number;
  trimmedBeforeArchived: number;
}

export async function measureArchiveLag(): Promise<LagResult> {
  const [server, database] = await Promise.all([startRedisServer(), createTestDatabase()]);
  const redis = createRedis(server.url);
  const db = createPostgresClient(database.url);
  const name = "lag";
  let child: ChildProcess | undefined;
  try {
    const queue = new Queue({ redis, name, settings });
    for (let start = 0; start < JOBS; start += 1_000) {
      await queue.addBulk(
        Array.from({ length: Math.min(1_000, JOBS - start) }, (_, i) => ({
          type: "noop",
          payload: { i: start + i },
        })),
      );
    }
    child = spawn(process.execPath, ["--conditions=development", "--import", "tsx", CHILD], {
      env: {
        ...process.env,
        REDIS_URL: server.url,
        RQ_ARCHIVE_URL: database.url,
        RQ_ARCHIVE_QUEUES: name,
        RQ_TEST_BATCH_ENTRIES: "200",
      },
      stdio: ["ignore", "ignore", "inherit"],
    });
    // Wait until the archiver is reading (its group exists), so the drain is measured against a running archiver.
    for (;;) {
      const groups = (await redis
        .call("XINFO", "GROUPS", `rq:{${name}}:events`)
        .catch(() => [])) as unknown[];
      if (groups.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    let maxLagEntries = 0;
    let maxLagSeconds = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const lag = await readArchiveLag(redis, name);
        maxLagEntries = Math.max(maxLagEntries, lag.entries);
        maxLagSeconds = Math.max(maxLagSeconds, lag.seconds);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const loop = new ConsumeLoop({
      consumer: new Consumer({ redis, queue: name, workerId: "lag-bench", settings }),
      concurrency: 50,
      handler: () => undefined,
    });
    const started = performance.now();
    loop.start();
    for (;;) {
      if (Number(await redis.hget(queue.context.keys.stats, "completed")) >= JOBS) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const drainMs = performance.now() - started;
    await loop.stop();
    const drained = performance.now();
    for (;;) {
      if ((await readArchiveLag(redis, name)).entries === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const catchUpAfterDrainMs = performance.now() - drained;
    sampling = false;
    await sampler;
    const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM rq_archive_jobs");
    const archived = rows[0]?.n ?? 0;
    return {
      jobs: JOBS,
      drainJobsPerSecond: Math.round(JOBS / (drainMs / 1000)),
      maxLagEntries,
      maxLagSeconds: Number(maxLagSeconds.toFixed(2)),
      catchUpAfterDrainMs: Math.round(catchUpAfterDrainMs),
      archived,
      trimmedBeforeArchived: JOBS - archived,
    };
  } finally {
    child?.kill("SIGKILL");
    redis.disconnect();
    await db.close();
    await database.drop();
    await server.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(await measureArchiveLag());
  process.exit(0);
}
