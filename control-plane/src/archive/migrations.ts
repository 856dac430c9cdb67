/**
 * The archive's schema, as an ordered list of migrations applied at start.
 *
 * Each migration runs in its own transaction together with its row in
 * `rq_archive_migrations`, under a transaction-scoped advisory lock: any number of
 * control-plane instances may start at once, and exactly one applies each step.
 * Never edit a released migration; add the next one.
 */
import type { SqlClient } from "./sql-client.js";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Arbitrary constant naming the archive's migration lock among the server's advisory locks. */
const MIGRATION_LOCK_KEY = 0x72712d61; // "rq-a"

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "jobs table partitioned by day of creation",
    // Partitioned by created_at because it never changes: a job retried days later
    // stays in its partition, so (id, created_at) is a true primary key and the
    // upsert by id needs no cross-partition delete.
    sql: `
      CREATE TABLE rq_archive_jobs (
        id text NOT NULL,
        queue text NOT NULL,
        seq bigint NOT NULL,
        type text NOT NULL,
        state text NOT NULL,
        priority smallint NOT NULL,
        attempts integer NOT NULL,
        max_attempts integer NOT NULL,
        backoff jsonb,
        timeout_ms integer,
        idempotency_key text,
        payload jsonb,
        result jsonb,
        progress jsonb,
        errors jsonb NOT NULL DEFAULT '[]',
        failure_reason text,
        parents text[] NOT NULL DEFAULT '{}',
        on_parent_failure text NOT NULL DEFAULT 'fail',
        failed_parent text,
        dependents text[] NOT NULL DEFAULT '{}',
        dependents_count integer NOT NULL DEFAULT 0,
        worker_id text,
        created_at timestamptz NOT NULL,
        started_at timestamptz,
        finished_at timestamptz NOT NULL,
        archived_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (id, created_at)
      ) PARTITION BY RANGE (created_at);
    `,
  },
  {
    version: 2,
    name: "search: error text, replays, B-tree and GIN indexes",
    sql: `
      ALTER TABLE rq_archive_jobs ADD COLUMN error_text text;
      ALTER TABLE rq_archive_jobs ADD COLUMN replay_of text;
      ALTER TABLE rq_archive_jobs ADD COLUMN replays text[] NOT NULL DEFAULT '{}';
      UPDATE rq_archive_jobs
         SET error_text = (SELECT string_agg(e->>'message', E'\\n') FROM jsonb_array_elements(errors) e)
       WHERE jsonb_array_length(errors) > 0;
      CREATE INDEX rq_archive_jobs_finished ON rq_archive_jobs (finished_at DESC, id DESC);
      CREATE INDEX rq_archive_jobs_queue_finished ON rq_archive_jobs (queue, finished_at DESC, id DESC);
      CREATE INDEX rq_archive_jobs_state_finished ON rq_archive_jobs (state, finished_at DESC, id DESC);
      CREATE INDEX rq_archive_jobs_queue_state_finished
        ON rq_archive_jobs (queue, state, finished_at DESC, id DESC);
      CREATE INDEX rq_archive_jobs_queue_type_state_finished
        ON rq_archive_jobs (queue, type, state, finished_at DESC, id DESC);
      CREATE INDEX rq_archive_jobs_payload ON rq_archive_jobs USING gin (payload jsonb_path_ops);
      CREATE INDEX rq_archive_jobs_result ON rq_archive_jobs USING gin (result jsonb_path_ops);
      CREATE INDEX rq_archive_jobs_error_text
        ON rq_archive_jobs USING gin (to_tsvector('simple', coalesce(error_text, '')));
    `,
  },
  {
    version: 3,
    name: "fair queuing: the job's group key",
    sql: `
      ALTER TABLE rq_archive_jobs ADD COLUMN group_key text;
    `,
  },
];

/** Applies every migration not yet applied (up to `target`, for tests of upgrades); returns those applied. */
export async function migrate(db: SqlClient, target = Number.POSITIVE_INFINITY): Promise<number[]> {
  await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
    await tx.exec(`
      CREATE TABLE IF NOT EXISTS rq_archive_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      );
    `);
  });
  const applied: number[] = [];
  for (const migration of MIGRATIONS) {
    if (migration.version > target) break;
    const ran = await db.transaction(async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
      const done = await tx.query("SELECT 1 FROM rq_archive_migrations WHERE version = $1", [
        migration.version,
      ]);
      if (done.rowCount > 0) return false;
      await tx.exec(migration.sql);
      await tx.query("INSERT INTO rq_archive_migrations (version, name) VALUES ($1, $2)", [
        migration.version,
        migration.name,
      ]);
      return true;
    });
    if (ran) applied.push(migration.version);
  }
  return applied;
}

export async function schemaVersion(db: SqlClient): Promise<number> {
  const { rows } = await db.query<{ version: number | null }>(
    "SELECT max(version) AS version FROM rq_archive_migrations",
  );
  return rows[0]?.version ?? 0;
}
