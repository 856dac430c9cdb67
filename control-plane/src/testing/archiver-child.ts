/**
 * Test support: the archiver alone in a process, so a test can SIGKILL it. Reads
 * REDIS_URL, RQ_ARCHIVE_URL, RQ_ARCHIVE_QUEUES (comma-separated) and, for fault
 * injection, RQ_TEST_KILL_AFTER_COMMITS=n: the process SIGKILLs itself right after
 * its n-th commit, before acknowledging it — the worst moment to die. Prints one
 * line per committed batch.
 */
import { createRedis } from "@rqueue/shared";
import { Archiver } from "../archive/archiver.js";
import { migrate } from "../archive/migrations.js";
import { createPostgresClient } from "../archive/sql-client.js";
import { createLogger } from "../logging/logger.js";

const env = process.env;
const redis = createRedis(env.REDIS_URL as string);
redis.on("error", () => {});
const db = createPostgresClient(env.RQ_ARCHIVE_URL as string, { max: 2 });
const killAfter = Number(env.RQ_TEST_KILL_AFTER_COMMITS ?? 0);
let commits = 0;

await migrate(db);
const archiver = new Archiver({
  redis,
  db,
  log: createLogger("error", process.stderr),
  queues: async () => (env.RQ_ARCHIVE_QUEUES ?? "").split(","),
  batchEntries: Number(env.RQ_TEST_BATCH_ENTRIES ?? 20),
  claimIdleMs: Number(env.RQ_TEST_CLAIM_IDLE_MS ?? 500),
  idleMs: 20,
  hooks: {
    afterCommit(batch) {
      commits++;
      process.stdout.write(`committed ${batch.jobs}\n`);
      if (killAfter > 0 && commits >= killAfter) process.kill(process.pid, "SIGKILL");
    },
  },
});
archiver.start();
process.on("SIGTERM", () => {
  void archiver.stop().then(() => process.exit(0));
});
