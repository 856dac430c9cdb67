/**
 * The archive as the control plane uses it: opens the database (a real server
 * from RQ_ARCHIVE_URL, or the embedded PGlite under RQ_ARCHIVE_DIR), applies the
 * migrations, runs the archiver and the daily partition upkeep (tomorrow's
 * partition created ahead, expired days dropped), and answers lookups, searches
 * and the lag for metrics.
 */
import type { ArchiveHoldLimits, RedisClient } from "@rqueue/shared";
import type { Logger } from "../logging/logger.js";
import { type ArchiveLag, readArchiveLag } from "./archive-lag.js";
import type { ArchivedJob } from "./archived-job.js";
import { Archiver, type ArchiverCounters, type ArchiverHooks } from "./archiver.js";
import { findArchivedJob } from "./find-job.js";
import { migrate } from "./migrations.js";
import { DAY_MS, dayStart, dropExpiredPartitions, ensurePartitions } from "./partitions.js";
import { type SearchPage, type SearchQuery, searchJobs } from "./search-jobs.js";
import { createPgliteClient, createPostgresClient, type SqlClient } from "./sql-client.js";

export interface ArchiveConfig {
  /** postgres://… of a real server; null for the embedded database. */
  url: string | null;
  /** Data directory of the embedded database (null: in memory, for tests). */
  dir: string | null;
  retentionDays: number;
  /** Run the archiver in this process (lookups and search work either way). */
  runArchiver: boolean;
  claimIdleMs: number;
  /** What Redis keeps for the archiver (see Archiver); its defaults when left out. */
  hold?: ArchiveHoldLimits;
}

const UPKEEP_INTERVAL_MS = 3_600_000;

export class ArchiveService {
  readonly archiver: Archiver | null;
  private upkeepTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly db: SqlClient,
    private readonly redis: RedisClient,
    private readonly config: ArchiveConfig,
    private readonly log: Logger,
    queues: () => Promise<string[]>,
    hooks?: ArchiverHooks,
  ) {
    this.archiver = config.runArchiver
      ? new Archiver({ redis, db, log, queues, claimIdleMs: config.claimIdleMs, hold: config.hold, hooks })
      : null;
  }

  static async open(
    config: ArchiveConfig,
    redis: RedisClient,
    log: Logger,
    queues: () => Promise<string[]>,
    hooks?: ArchiverHooks,
  ): Promise<ArchiveService> {
    const db = config.url ? createPostgresClient(config.url) : await createPgliteClient(config.dir);
    try {
      const applied = await migrate(db);
      if (applied.length > 0) log.info({ applied, database: db.kind }, "archive migrations applied");
    } catch (error) {
      await db.close();
      throw error;
    }
    return new ArchiveService(db, redis, config, log, queues, hooks);
  }

  async start(): Promise<void> {
    await this.upkeep();
    this.upkeepTimer = setInterval(() => {
      this.upkeep().catch((error: unknown) =>
        this.log.error({ err: (error as Error).message }, "archive partition upkeep failed"),
      );
    }, UPKEEP_INTERVAL_MS);
    this.upkeepTimer.unref();
    this.archiver?.start();
  }

  /** Today's and tomorrow's partitions exist; days past the retention are dropped whole. */
  async upkeep(now = Date.now()): Promise<number[]> {
    await ensurePartitions(this.db, [dayStart(now), dayStart(now) + DAY_MS], new Set());
    const dropped = await dropExpiredPartitions(this.db, this.config.retentionDays, now);
    if (dropped.length > 0) {
      this.archiver?.forgetPartitions();
      this.log.info(
        { days: dropped.map((day) => new Date(day).toISOString().slice(0, 10)) },
        "archive days dropped",
      );
    }
    return dropped;
  }

  findJob(id: string): Promise<ArchivedJob | null> {
    return findArchivedJob(this.db, id);
  }

  search(query: SearchQuery): Promise<SearchPage> {
    return searchJobs(this.db, query);
  }

  lag(queue: string): Promise<ArchiveLag> {
    return readArchiveLag(this.redis, queue);
  }

  counters(): ArchiverCounters | null {
    return this.archiver?.counters ?? null;
  }

  async close(): Promise<void> {
    clearInterval(this.upkeepTimer);
    await this.archiver?.stop();
    await this.db.close();
  }
}
