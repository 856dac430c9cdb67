/**
 * Exactly-once archiving against real processes: a real Redis (AOF, restarted
 * mid-run), a real PostgreSQL, and archivers in child processes that are
 * SIGKILLed — once right after a commit and before its XACK (the worst moment),
 * once at an arbitrary point. Every final job must end up archived once, with
 * the state, attempts and result Redis had.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createRedis, Queue, type RedisClient } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisServerHandle, startRedisServer } from "../../../shared/test/redis-harness.js";
import { createLogger } from "../logging/logger.js";
import { createTestDatabase, type TestDatabase } from "../testing/postgres-harness.js";
import { readArchiveLag } from "./archive-lag.js";
import { Archiver } from "./archiver.js";
import { findArchivedJob } from "./find-job.js";
import { migrate } from "./migrations.js";
import { createPgliteClient, createPostgresClient, type SqlClient } from "./sql-client.js";
import { addTestJobs, drainQueue } from "./testing-drain.js";

const CHILD = fileURLToPath(new URL("../testing/archiver-child.ts", import.meta.url));

let server: RedisServerHandle;
let redis: RedisClient;
let database: TestDatabase;
let db: SqlClient;
const children: ChildProcess[] = [];

beforeAll(async () => {
  [server, database] = await Promise.all([startRedisServer({ appendonly: true }), createTestDatabase()]);
  redis = createRedis(server.url);
  redis.on("error", () => {});
  db = createPostgresClient(database.url);
});

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  redis?.disconnect();
  await db?.close();
  await database?.drop();
  await server?.stop();
});

function startArchiver(queue: string, env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, ["--conditions=development", "--import", "tsx", CHILD], {
    env: {
      ...process.env,
      REDIS_URL: server.url,
      RQ_ARCHIVE_URL: database.url,
      RQ_ARCHIVE_QUEUES: queue,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

const exited = (child: ChildProcess) =>
  new Promise<NodeJS.Signals | number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.signalCode ?? child.exitCode);
    else child.once("exit", (code, signal) => resolve(signal ?? code));
  });

async function archivedCount(queue: string): Promise<number> {
  const { rows } = await db
    .query<{ n: number }>("SELECT count(*)::int AS n FROM rq_archive_jobs WHERE queue = $1", [queue])
    .catch(() => ({ rows: [{ n: 0 }] }));
  return rows[0]?.n ?? 0;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("archiver", () => {
  it("archives every final job exactly once across kill -9 mid-batch and a Redis restart", async () => {
    const name = `arch-${Date.now().toString(36)}`;
    const queue = new Queue({ redis, name });
    const firstIds = await addTestJobs(queue, 1_500);
    await drainQueue(redis, queue, firstIds.length);

    // 1. Dies right after its third commit, before acknowledging it.
    const first = startArchiver(name, { RQ_TEST_KILL_AFTER_COMMITS: "3" });
    expect(await exited(first)).toBe("SIGKILL");
    const afterFirst = await archivedCount(name);
    expect(afterFirst).toBeGreaterThan(0);
    expect((await readArchiveLag(redis, name)).entries).toBeGreaterThan(0);

    // 2. A second archiver takes over the dead one's pending entries; SIGKILL it at an arbitrary point.
    const second = startArchiver(name);
    await waitFor(
      async () => (await archivedCount(name)) > afterFirst,
      30_000,
      "the second archiver to commit",
    );
    second.kill("SIGKILL");
    await exited(second);

    // 3. A third one runs through a Redis restart while more jobs finish.
    const third = startArchiver(name);
    await server.restart();
    const moreIds = await addTestJobs(queue, 500, firstIds.length);
    await drainQueue(redis, queue, firstIds.length + moreIds.length);
    const all = [...firstIds, ...moreIds];
    await waitFor(async () => (await archivedCount(name)) >= all.length, 60_000, "every job archived");
    await waitFor(async () => (await readArchiveLag(redis, name)).entries === 0, 30_000, "lag back to zero");
    third.kill("SIGTERM");
    await exited(third);

    const { rows } = await db.query<{
      id: string;
      copies: number;
      state: string;
      attempts: number;
      result: unknown;
    }>(
      `SELECT id, count(*)::int AS copies, min(state) AS state, min(attempts) AS attempts, (array_agg(result))[1] AS result
         FROM rq_archive_jobs WHERE queue = $1 GROUP BY id`,
      [name],
    );
    expect(rows.length).toBe(all.length);
    expect(rows.filter((row) => row.copies !== 1)).toEqual([]);
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const id of all) {
      const job = await queue.getJob(id);
      const row = byId.get(id);
      expect(row, id).toBeDefined();
      expect({ state: row?.state, attempts: row?.attempts, result: row?.result }).toEqual({
        state: job?.state,
        attempts: job?.attempts,
        result: job?.result,
      });
    }
  }, 180_000);

  it("on the embedded database: a crash between commit and acknowledgement duplicates nothing; retries and removals follow", async () => {
    const name = `arch-lite-${Date.now().toString(36)}`;
    const queue = new Queue({ redis, name });
    const ids = await addTestJobs(queue, 600);
    await drainQueue(redis, queue, ids.length);
    const lite = await createPgliteClient(null);
    await migrate(lite);
    const log = createLogger("silent");
    const options = { redis, db: lite, log, queues: async () => [name], batchEntries: 5, claimIdleMs: 100 };
    let commits = 0;
    const crashing = new Archiver({
      ...options,
      consumer: "crashing",
      hooks: {
        afterCommit() {
          commits++;
          if (commits === 2) throw new Error("simulated crash before XACK");
        },
      },
    });
    await crashing.runOnce();
    await expect(crashing.runOnce()).rejects.toThrow("simulated crash");
    const count = async () =>
      (await lite.query<{ n: number }>("SELECT count(*)::int AS n FROM rq_archive_jobs")).rows[0]?.n;
    const survivor = new Archiver({ ...options, consumer: "survivor" });
    await new Promise((resolve) => setTimeout(resolve, 150));
    while (await survivor.runOnce()) {}
    expect(await count()).toBe(ids.length);
    const { rows } = await lite.query<{ n: number }>(
      "SELECT count(DISTINCT id)::int AS n FROM rq_archive_jobs",
    );
    expect(rows[0]?.n).toBe(ids.length);

    // A dead-lettered job retried to completion is archived again, updated in place; a removed one leaves.
    const failedId = ids[7] as string;
    expect((await findArchivedJob(lite, failedId))?.state).toBe("failed");
    await redis.hset(`rq:{${name}}:j:${failedId.split(":")[1]}`, "d", JSON.stringify({ n: 8, fail: false }));
    await queue.retry(failedId);
    await drainQueue(redis, queue, ids.length);
    await queue.remove(ids[0] as string);
    while (await survivor.runOnce()) {}
    const retried = await findArchivedJob(lite, failedId);
    expect({ state: retried?.state, result: retried?.result }).toEqual({
      state: "completed",
      result: { doubled: 16 },
    });
    expect(await findArchivedJob(lite, ids[0] as string)).toBeNull();
    expect(await count()).toBe(ids.length - 1);
    await lite.close();
  }, 60_000);
});
