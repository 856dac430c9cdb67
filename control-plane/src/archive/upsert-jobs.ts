/**
 * Writes a batch of final jobs to the archive in one statement: an upsert by
 * (id, created_at), so a redelivered batch changes nothing. The WHERE clause keeps
 * the newest version when two instances race on the same job (a job retried and
 * finished again has more attempts or a later finish), so a slow instance
 * committing an older read cannot overwrite a newer one.
 */
import { ARCHIVE_COLUMNS, type ArchiveRow } from "./archived-job.js";
import type { SqlExecutor } from "./sql-client.js";

const columns = Object.keys(ARCHIVE_COLUMNS);
const recordType = Object.entries(ARCHIVE_COLUMNS)
  .map(([name, type]) => `${name} ${type}`)
  .join(", ");
const updates = columns
  .filter((name) => name !== "id" && name !== "created_at")
  .map((name) => `${name} = EXCLUDED.${name}`)
  .join(", ");

const UPSERT_SQL = `
  INSERT INTO rq_archive_jobs (${columns.join(", ")})
  SELECT ${columns.join(", ")} FROM jsonb_to_recordset($1::jsonb) AS r(${recordType})
  ON CONFLICT (id, created_at) DO UPDATE SET ${updates}, archived_at = now()
  WHERE (rq_archive_jobs.finished_at, rq_archive_jobs.attempts) <= (EXCLUDED.finished_at, EXCLUDED.attempts)`;

/** Rows per statement: keeps each parameter well under a few MB of JSON. */
const CHUNK = 1_000;

/** Upserts rows (at most one per id: a statement cannot update the same row twice). */
export async function upsertJobs(db: SqlExecutor, rows: readonly ArchiveRow[]): Promise<void> {
  for (let start = 0; start < rows.length; start += CHUNK) {
    await db.query(UPSERT_SQL, [JSON.stringify(rows.slice(start, start + CHUNK))]);
  }
}
