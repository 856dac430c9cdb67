/**
 * Daily partitions of the archive: created ahead of time and on demand for the
 * days a batch needs, and dropped whole once older than the retention, so
 * retention never runs a DELETE over millions of rows.
 */
import type { SqlExecutor } from "./sql-client.js";

const DAY_MS = 86_400_000;
const PARTITION_PREFIX = "rq_archive_jobs_p";
const DUPLICATE_TABLE = "42P07";
const DUPLICATE_OBJECT = "42710";

/** Midnight UTC of the day holding `ms`. */
export const dayStart = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;

export const partitionName = (day: number) =>
  `${PARTITION_PREFIX}${new Date(day).toISOString().slice(0, 10).replaceAll("-", "")}`;

/** Creates the partition of each day (midnight UTC values) that does not exist yet. */
export async function ensurePartitions(
  db: SqlExecutor,
  days: Iterable<number>,
  known: Set<number>,
): Promise<void> {
  for (const day of days) {
    if (known.has(day)) continue;
    const from = new Date(day).toISOString();
    const to = new Date(day + DAY_MS).toISOString();
    try {
      await db.query(
        `CREATE TABLE IF NOT EXISTS ${partitionName(day)} PARTITION OF rq_archive_jobs
           FOR VALUES FROM ('${from}') TO ('${to}')`,
      );
    } catch (error) {
      // Another instance created it between our check and our CREATE: that is what we wanted.
      const code = (error as { code?: string }).code;
      if (code !== DUPLICATE_TABLE && code !== DUPLICATE_OBJECT) throw error;
    }
    known.add(day);
  }
}

export interface PartitionInfo {
  name: string;
  day: number;
}

export async function listPartitions(db: SqlExecutor): Promise<PartitionInfo[]> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid
       JOIN pg_class p ON p.oid = i.inhparent
      WHERE p.relname = 'rq_archive_jobs' ORDER BY c.relname`,
  );
  return rows.flatMap(({ name }) => {
    const match = /^rq_archive_jobs_p(\d{4})(\d{2})(\d{2})$/.exec(name);
    return match ? [{ name, day: Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) }] : [];
  });
}

/** Drops the partitions whose whole day is older than `retentionDays` before `now`; returns their days. */
export async function dropExpiredPartitions(
  db: SqlExecutor,
  retentionDays: number,
  now: number,
): Promise<number[]> {
  const cutoff = dayStart(now) - retentionDays * DAY_MS;
  const dropped: number[] = [];
  for (const partition of await listPartitions(db)) {
    if (partition.day + DAY_MS > cutoff) continue;
    await db.query(`DROP TABLE IF EXISTS ${partition.name}`);
    dropped.push(partition.day);
  }
  return dropped;
}

export { DAY_MS };
