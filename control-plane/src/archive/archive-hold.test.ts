/**
 * Nothing is trimmed before it is archived: while the archiver is down, retention
 * and events trimming keep what it has not acknowledged (within the hold's limits),
 * so when it comes back it archives every job, none found gone and no entry lost.
 * Standalone and Cluster (the hold is one more key in the queue's slot).
 */
import {
  ConsumeLoop,
  Consumer,
  createRedis,
  Queue,
  type QueueSettingsInput,
  queueKeys,
  type RedisClient,
} from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, targets, uniqueQueue } from "../../../shared/test/engine-fixture.js";
import { createLogger } from "../logging/logger.js";
import { createTestDatabase, type TestDatabase } from "../testing/postgres-harness.js";
import { Archiver } from "./archiver.js";
import { migrate } from "./migrations.js";
import { createPostgresClient, type SqlClient } from "./sql-client.js";

const SETTINGS: QueueSettingsInput = {
  retention: { keepCompleted: 20, keepFailed: 20 },
  eventsMaxLen: 50,
};

let database: TestDatabase;
let db: SqlClient;
beforeAll(async () => {
  database = await createTestDatabase();
  db = createPostgresClient(database.url);
  await migrate(db);
});
afterAll(async () => {
  await db?.close();
  await database?.drop();
});

async function archivedCount(queue: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM rq_archive_jobs WHERE queue = $1",
    [queue],
  );
  return rows[0]?.n ?? 0;
}

describe.each(targets)("archive hold (%s)", (_target, url) => {
  let redis: RedisClient;
  beforeAll(() => {
    redis = createRedis(url);
  });
  afterAll(async () => {
    await redis?.quit();
  });

  const archiverFor = (name: string, hold?: { holdMaxJobs: number; holdTtlMs: number }) =>
    new Archiver({
      redis,
      db,
      log: createLogger("silent", process.stderr),
      queues: async () => [name],
      settings: SETTINGS,
      idleMs: 10,
      hold: hold && { streamMaxLen: 10_000, ...hold },
    });

  /** Adds `count` jobs one call each (one events entry each) and runs them all to completion. */
  async function runJobs(queue: Queue, count: number): Promise<void> {
    await Promise.all(Array.from({ length: count }, (_, n) => queue.add({ type: "t", payload: { n } })));
    const loop = new ConsumeLoop({
      consumer: new Consumer({ redis, queue: queue.name, workerId: `w-${queue.name}`, settings: SETTINGS }),
      concurrency: 4,
      handler: async (job) => ({ n: (job.payload as { n: number }).n }),
    });
    loop.start();
    try {
      await eventually(async () => {
        const { total } = await queue.counts();
        return total.pending + total.processing === 0;
      }, 30_000);
    } finally {
      await loop.stop(5_000);
    }
  }

  const completedIndex = (name: string) => redis.zcard(queueKeys(name).index("completed", "t"));

  it("keeps unarchived jobs and events through an archiver outage, then archives them all", {
    timeout: 90_000,
  }, async () => {
    const name = uniqueQueue("hold");
    const queue = new Queue({ redis, name, settings: SETTINGS });
    const first = archiverFor(name);
    first.start();
    await runJobs(queue, 5);
    await eventually(async () => (await archivedCount(name)) === 5, 10_000);
    await first.stop();

    // The outage: far more jobs than retention keeps, far more entries than the stream's cap.
    await runJobs(queue, 300);
    // Only the 5 archived before the outage may go; the 300 it has not seen stay.
    expect(await completedIndex(name)).toBe(300);
    expect(await redis.xlen(queueKeys(name).events)).toBeGreaterThan(300);

    const second = archiverFor(name);
    second.start();
    try {
      await eventually(async () => (await archivedCount(name)) === 305, 20_000);
      expect(second.counters.gone).toBe(0);
      expect(second.counters.lostEntries).toBe(0);
      // Caught up, Redis forgets again: the stream back to its cap, retention back to its count.
      await eventually(async () => (await redis.xlen(queueKeys(name).events)) <= 50, 10_000);
      await eventually(async () => {
        await queue.maintain();
        return (await completedIndex(name)) <= 20;
      }, 10_000);
    } finally {
      await second.stop();
    }
  });

  it("holds at most holdMaxJobs per index", { timeout: 90_000 }, async () => {
    const name = uniqueQueue("hold-max");
    const queue = new Queue({ redis, name, settings: SETTINGS });
    const archiver = archiverFor(name, { holdMaxJobs: 60, holdTtlMs: 3_600_000 });
    archiver.start();
    await runJobs(queue, 3);
    await eventually(async () => (await archivedCount(name)) === 3, 10_000);
    await archiver.stop();

    await runJobs(queue, 200);
    const held = await completedIndex(name);
    expect(held).toBeGreaterThan(20);
    expect(held).toBeLessThanOrEqual(61);
  });

  it("stops holding once no archiver refreshed the hold for its TTL", { timeout: 90_000 }, async () => {
    const name = uniqueQueue("hold-ttl");
    const queue = new Queue({ redis, name, settings: SETTINGS });
    const archiver = archiverFor(name, { holdMaxJobs: 1_000, holdTtlMs: 1_000 });
    archiver.start();
    await runJobs(queue, 3);
    await eventually(async () => (await archivedCount(name)) === 3, 10_000);
    await archiver.stop();

    // The archive is gone for good: once the hold expired, retention is back to its count.
    await eventually(async () => (await redis.exists(`${queueKeys(name).prefix}archive-hold`)) === 0, 10_000);
    await runJobs(queue, 100);
    expect(await completedIndex(name)).toBeLessThanOrEqual(20);
  });
});
