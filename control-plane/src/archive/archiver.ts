/**
 * The archiver: reads every queue's events stream through the consumer group
 * `rq-archiver` and writes each job that reached a final state to the archive.
 *
 * Exactly once, by construction rather than by luck: an entry is acknowledged
 * (XACK) only after the transaction holding its jobs committed, so a crash
 * anywhere before that leaves the entry pending and another instance (or this
 * one, after a restart) claims it with XAUTOCLAIM once it has been idle for
 * `claimIdleMs`. Replaying it is harmless: the upsert by job id writes the same
 * row again. Any number of instances may run; the group spreads entries among
 * them and the upsert keeps the newest version when two race.
 *
 * The job itself is read from Redis when its final event is processed (the
 * stream names jobs, it does not carry them), so what is archived is the job's
 * current, whole state; a job that is no longer final (retried since) is skipped
 * and archived at its next final event.
 *
 * Nothing is trimmed before it is archived: after every batch it acknowledges, the
 * archiver records its position in Redis (recordArchiveProgress), and retention and
 * the events stream's trimming keep whatever it has not acknowledged, so an archiver
 * (or database) outage costs Redis memory, not jobs — up to the hold's limits, past
 * which Redis trims as usual and the loss is counted.
 */
import { randomUUID } from "node:crypto";
import {
  type ArchiveHoldLimits,
  DEFAULT_ARCHIVE_HOLD,
  decodeEventSeqs,
  decodeJob,
  type Job,
  type QueueSettingsInput,
  queueKeys,
  type RedisClient,
  recordArchiveProgress,
  resolveSettings,
} from "@rqueue/shared";
import type { Logger } from "../logging/logger.js";
import { type ArchiveRow, toArchiveRow } from "./archived-job.js";
import { deleteJobs } from "./delete-jobs.js";
import { dayStart, ensurePartitions } from "./partitions.js";
import type { SqlClient } from "./sql-client.js";
import { upsertJobs } from "./upsert-jobs.js";

export const ARCHIVER_GROUP = "rq-archiver";
const FINAL_EVENTS = new Set(["completed", "failed", "canceled"]);

export interface ArchiverHooks {
  /** Called after a batch committed and before it is acknowledged (fault-injection tests). */
  afterCommit?(batch: { queue: string; entries: number; jobs: number }): void | Promise<void>;
}

export interface ArchiverOptions {
  redis: RedisClient;
  db: SqlClient;
  log: Logger;
  /** The queues to archive (re-read every `queuesRefreshMs`). */
  queues(): Promise<string[]>;
  /** Consumer name in the group; unique per process by default. */
  consumer?: string;
  /** Stream entries per read (each entry may name many jobs). */
  batchEntries?: number;
  /** How long an entry stays unacknowledged before another consumer takes it over. */
  claimIdleMs?: number;
  /** Pause between rounds when no queue had anything new. */
  idleMs?: number;
  queuesRefreshMs?: number;
  /** What Redis keeps for the archiver at most, and how long after it stops. */
  hold?: ArchiveHoldLimits;
  /** The queues' settings, as their producers and workers use them (defaults when left out). */
  settings?: QueueSettingsInput;
  hooks?: ArchiverHooks;
}

/** An idle queue's position is refreshed this often (a busy one's after every batch). */
const IDLE_PROGRESS_MS = 1_000;

export interface ArchiverCounters {
  /** Jobs written (inserted or updated) to the archive. */
  archived: number;
  /** Final events whose job hash was already gone from Redis (trimmed or deleted first). */
  gone: number;
  /** Stream entries trimmed from Redis before the group read them. */
  lostEntries: number;
  /** Jobs the database refused (e.g. a string PostgreSQL cannot store); logged and skipped. */
  rejected: number;
  batches: number;
}

type StreamEntry = [id: string, fields: string[] | null];

interface Work {
  ids: string[];
  final: Set<string>;
  removed: Set<string>;
}

function collect(entries: StreamEntry[]): Work {
  const work: Work = { ids: [], final: new Set(), removed: new Set() };
  for (const [id, fields] of entries) {
    work.ids.push(id);
    if (!fields) continue;
    let event = "";
    let seqs: string[] = [];
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i] === "e") event = fields[i + 1] as string;
      else if (fields[i] === "j") seqs = decodeEventSeqs(fields[i + 1] as string);
    }
    if (FINAL_EVENTS.has(event)) {
      for (const seq of seqs) {
        work.final.add(seq);
        work.removed.delete(seq);
      }
    } else if (event === "removed") {
      for (const seq of seqs) {
        work.removed.add(seq);
        work.final.delete(seq);
      }
    }
  }
  return work;
}

const isNoGroup = (error: unknown) => error instanceof Error && error.message.includes("NOGROUP");

export class Archiver {
  readonly counters: ArchiverCounters = { archived: 0, gone: 0, lostEntries: 0, rejected: 0, batches: 0 };
  private readonly consumer: string;
  private readonly batchEntries: number;
  private readonly claimIdleMs: number;
  private readonly idleMs: number;
  private readonly queuesRefreshMs: number;
  private readonly knownDays = new Set<number>();
  private readonly groupsReady = new Set<string>();
  private readonly claimCursor = new Map<string, string>();
  private readonly progressAt = new Map<string, number>();
  private queueNames: string[] = [];
  private queuesReadAt = 0;
  private stopped = true;
  /** Set by stop(): a round in progress ends after its current batch. */
  private stopping = false;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private failing = false;

  constructor(private readonly options: ArchiverOptions) {
    this.consumer = options.consumer ?? `archiver-${randomUUID().slice(0, 12)}`;
    this.batchEntries = options.batchEntries ?? 200;
    this.claimIdleMs = options.claimIdleMs ?? 30_000;
    this.idleMs = options.idleMs ?? 200;
    this.queuesRefreshMs = options.queuesRefreshMs ?? 5_000;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.stopping = false;
    this.running = this.loop();
  }

  /** Stops after the batch in flight (which is committed and acknowledged, or left pending). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping = true;
    this.wake?.();
    await this.running;
  }

  /** Forgets cached partitions (after retention dropped some). */
  forgetPartitions(): void {
    this.knownDays.clear();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let busy = false;
      try {
        busy = await this.runOnce();
        if (this.failing) this.options.log.info("archiver is working again");
        this.failing = false;
      } catch (error) {
        if (!this.failing) this.options.log.error({ err: (error as Error).message }, "archiver round failed");
        this.failing = true;
      }
      if (!busy && !this.stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.failing ? Math.max(this.idleMs, 1_000) : this.idleMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  }

  /** One pass over every queue; true when any had work (so the next pass starts at once). */
  async runOnce(): Promise<boolean> {
    const queues = await this.currentQueues();
    let busy = false;
    for (const queue of queues) {
      if (this.stopping) break;
      busy = (await this.drainQueueOnce(queue)) || busy;
    }
    return busy;
  }

  private async currentQueues(): Promise<string[]> {
    if (Date.now() - this.queuesReadAt >= this.queuesRefreshMs) {
      this.queueNames = await this.options.queues();
      this.queuesReadAt = Date.now();
    }
    return this.queueNames;
  }

  private async ensureGroup(queue: string): Promise<void> {
    if (this.groupsReady.has(queue)) return;
    try {
      // From the stream's start: entries already there when the archive is turned on are archived too.
      await this.options.redis.xgroup("CREATE", queueKeys(queue).events, ARCHIVER_GROUP, "0", "MKSTREAM");
    } catch (error) {
      if (!(error instanceof Error && error.message.includes("BUSYGROUP"))) throw error;
    }
    this.groupsReady.add(queue);
    // Hold what is not archived from the first moment, not from the first batch.
    await this.recordProgress(queue);
  }

  /** Claims abandoned entries, else reads new ones; processes one batch. True when it found any. */
  async drainQueueOnce(queue: string): Promise<boolean> {
    await this.ensureGroup(queue);
    try {
      const claimed = await this.claimAbandoned(queue);
      if (claimed.length > 0) {
        await this.process(queue, claimed);
        await this.recordProgress(queue);
        return true;
      }
      const fresh = await this.readNew(queue);
      if (fresh.length === 0) {
        if (Date.now() - (this.progressAt.get(queue) ?? 0) >= IDLE_PROGRESS_MS)
          await this.recordProgress(queue);
        return false;
      }
      await this.process(queue, fresh);
      await this.recordProgress(queue);
      return true;
    } catch (error) {
      // Redis lost the group (restarted without persistence, or the stream was deleted): recreate it.
      if (isNoGroup(error)) this.groupsReady.delete(queue);
      throw error;
    }
  }

  private async recordProgress(queue: string): Promise<void> {
    const progress = await recordArchiveProgress(
      this.options.redis,
      queue,
      ARCHIVER_GROUP,
      this.options.hold ?? DEFAULT_ARCHIVE_HOLD,
      this.options.settings,
    );
    if (!progress) this.groupsReady.delete(queue);
    this.progressAt.set(queue, Date.now());
  }

  private async claimAbandoned(queue: string): Promise<StreamEntry[]> {
    const key = queueKeys(queue).events;
    const start = this.claimCursor.get(queue) ?? "0-0";
    const reply = (await this.options.redis.xautoclaim(
      key,
      ARCHIVER_GROUP,
      this.consumer,
      this.claimIdleMs,
      start,
      "COUNT",
      this.batchEntries,
    )) as [string, StreamEntry[], string[]?];
    const [next, entries, deleted] = reply;
    this.claimCursor.set(queue, next);
    // Pending entries trimmed from the stream before anyone processed them: XAUTOCLAIM drops them.
    if (deleted && deleted.length > 0) this.noteLost(queue, deleted.length);
    return entries.filter((entry) => entry !== null);
  }

  private async readNew(queue: string): Promise<StreamEntry[]> {
    const key = queueKeys(queue).events;
    await this.detectTrimmedUnread(queue, key);
    const reply = (await this.options.redis.call(
      "XREADGROUP",
      "GROUP",
      ARCHIVER_GROUP,
      this.consumer,
      "COUNT",
      this.batchEntries,
      "STREAMS",
      key,
      ">",
    )) as [string, StreamEntry[]][] | null;
    return reply?.[0]?.[1] ?? [];
  }

  /**
   * Entries trimmed (MAXLEN) before the group read them are gone for good: count them
   * so the loss is visible (metric and alarm) instead of silent. Redis 7 keeps the
   * group's lag exact, and lag beyond the stream's length is exactly what was trimmed unread.
   */
  private async detectTrimmedUnread(queue: string, key: string): Promise<void> {
    const [groups, length] = await Promise.all([
      this.options.redis.call("XINFO", "GROUPS", key) as Promise<unknown[][]>,
      this.options.redis.xlen(key),
    ]);
    for (const group of groups) {
      const info = fieldsOf(group);
      if (info.name !== ARCHIVER_GROUP) continue;
      const lag = info.lag;
      if (typeof lag === "number" && lag > length) {
        this.noteLost(queue, lag - length);
        // Jump past the hole so the lag (and this count) reflects only what can still be read.
        await this.options.redis.call(
          "XGROUP",
          "SETID",
          key,
          ARCHIVER_GROUP,
          String(info["last-delivered-id"]),
          "ENTRIESREAD",
          String(Number(info["entries-read"] ?? 0) + (lag - length)),
        );
      }
    }
  }

  private noteLost(queue: string, count: number): void {
    this.counters.lostEntries += count;
    this.options.log.error(
      { queue, entries: count },
      "events were trimmed from Redis before the archiver read them: raise the queue's eventsMaxLen or add archiver capacity",
    );
  }

  private async readJobs(queue: string, seqs: string[]): Promise<Job[]> {
    if (seqs.length === 0) return [];
    const keys = queueKeys(queue);
    const pipeline = this.options.redis.pipeline();
    for (const seq of seqs) pipeline.hgetall(keys.job(seq));
    const replies = (await pipeline.exec()) ?? [];
    const jobs: Job[] = [];
    // As the API shows a live job: a job without its own backoff has the queue's default.
    const { defaultBackoff } = resolveSettings(this.options.settings);
    replies.forEach(([error, fields], index) => {
      if (error) throw error;
      const hash = fields as Record<string, string>;
      if (!hash.s) {
        this.counters.gone++;
        return;
      }
      if (!FINAL_EVENTS.has(hash.s)) return;
      jobs.push(decodeJob(queue, seqs[index] as string, hash, undefined, defaultBackoff));
    });
    return jobs;
  }

  private async process(queue: string, entries: StreamEntry[]): Promise<void> {
    const work = collect(entries);
    const jobs = await this.readJobs(queue, [...work.final]);
    const now = new Date().toISOString();
    const rows = jobs.map((job) => toArchiveRow(job, now));
    const removedIds = [...work.removed].map((seq) => `${queue}:${seq}`);
    await this.commit(rows, removedIds);
    this.counters.archived += rows.length;
    this.counters.batches++;
    await this.options.hooks?.afterCommit?.({ queue, entries: entries.length, jobs: rows.length });
    await this.options.redis.xack(queueKeys(queue).events, ARCHIVER_GROUP, ...work.ids);
  }

  private async commit(rows: ArchiveRow[], removedIds: string[]): Promise<void> {
    const days = new Set(rows.map((row) => dayStart(Date.parse(row.created_at))));
    await ensurePartitions(this.options.db, days, this.knownDays);
    try {
      await this.options.db.transaction(async (tx) => {
        await upsertJobs(tx, rows);
        await deleteJobs(tx, removedIds);
      });
    } catch (error) {
      if (rows.length <= 1 && removedIds.length === 0) {
        if (rows.length === 1 && isDataError(error)) return this.reject(rows[0] as ArchiveRow, error);
        throw error;
      }
      if (!isDataError(error)) throw error;
      // One job the database refuses must not stall the stream: find it by writing one at a time.
      for (const row of rows) {
        try {
          await upsertJobs(this.options.db, [row]);
        } catch (rowError) {
          if (!isDataError(rowError)) throw rowError;
          this.reject(row, rowError);
        }
      }
      await deleteJobs(this.options.db, removedIds);
    }
  }

  private reject(row: ArchiveRow, error: unknown): void {
    this.counters.rejected++;
    this.options.log.error(
      { job: row.id, err: (error as Error).message },
      "the archive refused a job; skipped",
    );
  }
}

/** SQLSTATE class 22 (data exception): the value, not the database, is the problem. */
const isDataError = (error: unknown) => String((error as { code?: string }).code ?? "").startsWith("22");

export function fieldsOf(flat: unknown[]): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) record[String(flat[i])] = flat[i + 1];
  return record;
}
