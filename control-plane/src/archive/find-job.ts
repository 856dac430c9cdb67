/**
 * One job from the archive by id. The id does not tell its creation day, so every
 * partition's primary-key index is probed once: a few dozen index lookups at a
 * month of retention.
 */
import { type ArchivedJob, fromArchiveRow, SELECT_COLUMNS } from "./archived-job.js";
import type { SqlExecutor } from "./sql-client.js";

export async function findArchivedJob(db: SqlExecutor, id: string): Promise<ArchivedJob | null> {
  const { rows } = await db.query(
    `SELECT ${SELECT_COLUMNS} FROM rq_archive_jobs WHERE id = $1 ORDER BY finished_at DESC LIMIT 1`,
    [id],
  );
  return rows[0] ? fromArchiveRow(rows[0]) : null;
}
