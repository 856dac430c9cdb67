import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/postgres-harness.js";
import { type ArchiveRow, toArchiveRow } from "./archived-job.js";
import { findArchivedJob } from "./find-job.js";
import { MIGRATIONS, migrate, schemaVersion } from "./migrations.js";
import { dayStart, ensurePartitions } from "./partitions.js";
import { searchJobs } from "./search-jobs.js";
import { createPgliteClient, createPostgresClient, type SqlClient } from "./sql-client.js";
import { sampleJob } from "./testing-jobs.js";
import { upsertJobs } from "./upsert-jobs.js";

const databases: TestDatabase[] = [];
afterAll(async () => {
  await Promise.all(databases.map((db) => db.drop()));
});

const backends: [string, () => Promise<SqlClient>][] = [
  [
    "postgres",
    async () => {
      const database = await createTestDatabase();
      databases.push(database);
      return createPostgresClient(database.url);
    },
  ],
  ["pglite", () => createPgliteClient(null)],
];

const latest = MIGRATIONS.at(-1)?.version ?? 0;

describe.each(backends)("archive migrations on %s", (_name, open) => {
  it("build the schema from an empty database, and a second run changes nothing", async () => {
    const db = await open();
    try {
      expect(await migrate(db)).toEqual(MIGRATIONS.map((m) => m.version));
      expect(await schemaVersion(db)).toBe(latest);
      expect(await migrate(db)).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it("upgrade a database at the schema before search, keeping and indexing its rows", async () => {
    const db = await open();
    try {
      // Schema 1: before the error text that search reads (2) and the group key (3).
      await migrate(db, 1);
      const job = sampleJob({ id: "mig:1", errors: ["disk quota exceeded"] });
      await ensurePartitions(db, [dayStart(Date.parse(job.createdAt))], new Set());
      // Schema 1's columns only: what an archiver of that version wrote.
      const row = toArchiveRow(job, job.finishedAt as string) as Partial<ArchiveRow>;
      delete row.error_text;
      delete row.replay_of;
      delete row.replays;
      delete row.group_key;
      const columns = Object.keys(row).join(", ");
      await db.query(
        `INSERT INTO rq_archive_jobs (${columns})
         SELECT ${columns} FROM jsonb_populate_record(null::rq_archive_jobs, $1::jsonb)`,
        [JSON.stringify(row)],
      );
      expect(await migrate(db)).toEqual(MIGRATIONS.slice(1).map((m) => m.version));
      expect((await findArchivedJob(db, "mig:1"))?.errors[0]?.message).toBe("disk quota exceeded");
      const page = await searchJobs(db, { error: "quota", limit: 10 });
      expect(page.items.map((item) => item.id)).toEqual(["mig:1"]);
      await upsertJobs(db, [toArchiveRow(sampleJob({ id: "mig:2" }), "")]);
      expect((await searchJobs(db, { limit: 10 })).items).toHaveLength(2);
    } finally {
      await db.close();
    }
  });

  it.skipIf(_name === "pglite")(
    "let several instances migrate at once: each step is applied once",
    async () => {
      const database = await createTestDatabase();
      databases.push(database);
      const clients = [1, 2, 3].map(() => createPostgresClient(database.url));
      try {
        const applied = await Promise.all(clients.map((client) => migrate(client)));
        expect(applied.flat().sort()).toEqual(MIGRATIONS.map((m) => m.version));
      } finally {
        await Promise.all(clients.map((client) => client.close()));
      }
    },
  );
});
