/**
 * Removes jobs from the archive when they are deleted from the queue (DELETE
 * /v1/jobs/:id), so a deleted job does not live on through the id fallback.
 */
import type { SqlExecutor } from "./sql-client.js";

export async function deleteJobs(db: SqlExecutor, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.query("DELETE FROM rq_archive_jobs WHERE id = ANY($1::text[])", [ids]);
}
