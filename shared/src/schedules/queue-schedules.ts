/**
 * `QueueSchedules`: the repeatable and cron schedules of one queue — create, read,
 * list, update, pause and resume, delete, trigger by hand, and the firing round
 * (`fireDue`) that any number of processes may run at once (fire-schedules.ts).
 * Definitions are validated whole before anything is written; writes go through
 * schedule-write.lua, which keeps the hash, the id index and the due index in step.
 */
import { randomBytes } from "node:crypto";
import * as v from "valibot";
import {
  type FieldIssue,
  RQueueError,
  ScheduleExistsError,
  ScheduleNotFoundError,
  ValidationError,
} from "../errors.js";
import { parseJobId } from "../job-id.js";
import { SCHEDULE_QUEUES_KEY } from "../keys.js";
import type { Queue } from "../queue/queue.js";
import type { RedisClient } from "../redis/connection.js";
import { createJobInputSchema } from "../schemas/job-input.js";
import type { JobState } from "../schemas/job-state.js";
import { LIMITS } from "../schemas/limits.js";
import {
  DEFAULT_SCHEDULE_POLICY,
  SCHEDULE_LIMITS,
  type ScheduleDefinition,
  type ScheduleInput,
  ScheduleInputSchema,
  type ScheduleUpdate,
  ScheduleUpdateSchema,
  scheduleTimingIssues,
} from "../schemas/schedule-input.js";
import {
  type FireOptions,
  type FireTotals,
  fireDueSchedules,
  MIN_IDEMPOTENCY_WINDOW_MS,
} from "./fire-schedules.js";
import { cronIssue, nextDueAfter } from "./schedule-timing.js";
import { decodeSchedule, decodeStored, type Schedule, type StoredSchedule } from "./schedule-view.js";

export interface SchedulePage {
  items: Schedule[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

export interface ScheduleCounters {
  /** Schedules of the queue, and how many are active (not paused, not finished). */
  schedules: number;
  active: number;
  /** Lifetime: jobs started by schedules, by hand, due times skipped as misfires and for overlap. */
  fired: number;
  triggered: number;
  misfired: number;
  overlapSkipped: number;
}

const TIMING_FIELDS = ["cron", "timezone", "everyMs", "startAt", "endAt"] as const;
const UPDATE_ATTEMPTS = 5;

/** The queues that have (or had) schedules: what a firing loop walks. */
export async function listScheduleQueues(redis: RedisClient): Promise<string[]> {
  return (await redis.smembers(SCHEDULE_QUEUES_KEY)).sort();
}

export class QueueSchedules {
  private readonly jobSchema: ReturnType<typeof createJobInputSchema>;

  constructor(private readonly queue: Queue) {
    const window = queue.context.settings.idempotencyWindowMs;
    if (window < MIN_IDEMPOTENCY_WINDOW_MS) {
      throw new ValidationError([
        {
          path: "settings.idempotencyWindowMs",
          message: `must be at least ${MIN_IDEMPOTENCY_WINDOW_MS} for schedules: a run's job is found again by its key`,
        },
      ]);
    }
    this.jobSchema = createJobInputSchema({ payloadBytes: queue.context.settings.maxPayloadBytes });
  }

  /** Creates a schedule; its first run is the first due time after now (Redis's clock). */
  async create(input: ScheduleInput): Promise<Schedule> {
    const parsed = v.safeParse(ScheduleInputSchema, input);
    if (!parsed.success) throw ValidationError.fromValibot(parsed.issues);
    const { id: givenId, queue, paused, ...rest } = parsed.output;
    const issues: FieldIssue[] = [];
    if (queue !== undefined && queue !== this.queue.name) {
      issues.push({ path: "queue", message: `does not match this queue (${this.queue.name})` });
    }
    const definition: ScheduleDefinition = { ...DEFAULT_SCHEDULE_POLICY, ...rest };
    this.check(definition, issues);
    const id = givenId ?? `s-${randomBytes(6).toString("hex")}`;
    const now = await this.redisNow();
    const next = nextDueAfter(definition, now, now);
    const { redis } = this.queue.context;
    // Before the schedule exists, so a firing loop never misses a queue that has one.
    await redis.sadd(SCHEDULE_QUEUES_KEY, this.queue.name);
    const epoch = randomBytes(4).toString("hex");
    const reply = await this.write("create", id, definition, next, paused ?? false, now, epoch);
    if (reply[0] === -9) throw new ScheduleExistsError(this.queue.name, id);
    return this.getOrThrow(id);
  }

  async get(id: string): Promise<Schedule | null> {
    const [schedule] = await this.read([id]);
    return schedule ?? null;
  }

  async getOrThrow(id: string): Promise<Schedule> {
    const schedule = await this.get(id);
    if (!schedule) throw new ScheduleNotFoundError(this.queue.name, id);
    return schedule;
  }

  /** Schedules by id, `limit` (1–200, default 50) a page, after `cursor`. */
  async list(options: { limit?: number; cursor?: string } = {}): Promise<SchedulePage> {
    const limit = Math.min(Math.max(options.limit ?? 50, 1), LIMITS.listPageMax);
    const { redis, keys } = this.queue.context;
    const from = options.cursor ? `(${options.cursor}` : "-";
    const ids = await redis.zrangebylex(keys.schedules.ids, from, "+", "LIMIT", 0, limit + 1);
    const page = ids.slice(0, limit);
    return {
      items: await this.read(page),
      nextCursor: ids.length > limit ? (page[page.length - 1] ?? null) : null,
    };
  }

  /**
   * Changes a schedule: the fields given replace its own, `null` clears an optional
   * one. A change of timing (or a resume) starts again from the first due time
   * after now; any other change keeps the next due time.
   */
  async update(id: string, changes: ScheduleUpdate): Promise<Schedule> {
    const parsed = v.safeParse(ScheduleUpdateSchema, changes);
    if (!parsed.success) throw ValidationError.fromValibot(parsed.issues);
    const edit = parsed.output;
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const stored = await this.readStored(id);
      if (!stored) throw new ScheduleNotFoundError(this.queue.name, id);
      const definition = applyUpdate(stored.definition, edit);
      this.check(definition, []);
      const now = await this.redisNow();
      const timingChanged = TIMING_FIELDS.some((field) => edit[field] !== undefined);
      const paused = edit.paused ?? stored.paused;
      const resumed = stored.paused && !paused;
      const anchor = edit.everyMs !== undefined || edit.startAt !== undefined ? now : stored.anchorMs;
      const limitReached = definition.limit !== undefined && stored.runs >= definition.limit;
      let next: number | null;
      if (limitReached) next = null;
      else if (timingChanged || resumed || stored.nextMs === null)
        next = nextDueAfter(definition, anchor, now);
      else next = stored.nextMs;
      const reply = await this.write("update", id, definition, next, paused, anchor, String(stored.version));
      if (reply[0] === -1) throw new ScheduleNotFoundError(this.queue.name, id);
      if (reply[0] === 1) return this.getOrThrow(id);
      // -10: a firing round or another update came in between; read again.
    }
    throw new RQueueError("schedule_busy", `schedule ${id} kept changing while it was updated; try again`);
  }

  pause(id: string): Promise<Schedule> {
    return this.update(id, { paused: true });
  }

  /** Resumes from the first due time after now: what was due while paused does not run. */
  resume(id: string): Promise<Schedule> {
    return this.update(id, { paused: false });
  }

  /** Deletes the schedule and its run history; jobs it started stay. */
  async delete(id: string): Promise<void> {
    const reply = await this.queue.context.run("schedule-write", ["delete", id]);
    if ((reply as number[])[0] === -1) throw new ScheduleNotFoundError(this.queue.name, id);
  }

  /** Starts one run now from the template, whatever the schedule's timing (paused included). */
  async trigger(id: string): Promise<{ jobId: string; schedule: Schedule }> {
    const stored = await this.readStored(id);
    if (!stored) throw new ScheduleNotFoundError(this.queue.name, id);
    const added = await this.queue.add({ ...stored.definition.job });
    const now = await this.redisNow();
    await this.queue.context.run("schedule-advance", [
      SCHEDULE_LIMITS.lastRuns,
      1,
      "r",
      id,
      "",
      "",
      "",
      0,
      0,
      "",
      1,
      parseJobId(added.id).seq,
      String(now),
      "1",
      "1",
    ]);
    return { jobId: added.id, schedule: await this.getOrThrow(id) };
  }

  /** One firing round over what is due now (see fire-schedules.ts). */
  fireDue(options?: FireOptions): Promise<FireTotals> {
    return fireDueSchedules(this.queue, options);
  }

  /** Counts and lifetime counters, for metrics. */
  async counters(): Promise<ScheduleCounters> {
    const { redis, keys } = this.queue.context;
    const [total, active, stats] = await Promise.all([
      redis.zcard(keys.schedules.ids),
      redis.zcard(keys.schedules.due),
      redis.hgetall(keys.schedules.stats),
    ]);
    return {
      schedules: total,
      active,
      fired: Number(stats.fired ?? 0),
      triggered: Number(stats.trig ?? 0),
      misfired: Number(stats.mis ?? 0),
      overlapSkipped: Number(stats.ovl ?? 0),
    };
  }

  private check(definition: ScheduleDefinition, issues: FieldIssue[]): void {
    issues.push(...scheduleTimingIssues(definition));
    if (definition.cron !== undefined) {
      const issue = cronIssue(definition.cron, definition.timezone);
      if (issue) issues.push(issue);
    }
    // The template must be a job the queue accepts, under this queue's payload limit.
    const job = v.safeParse(this.jobSchema, definition.job);
    if (!job.success) issues.push(...ValidationError.fromValibot(job.issues, "job").issues);
    if (issues.length > 0) throw new ValidationError(issues);
  }

  private async redisNow(): Promise<number> {
    const [seconds, micros] = await this.queue.context.redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  private async write(
    op: "create" | "update",
    id: string,
    definition: ScheduleDefinition,
    next: number | null,
    paused: boolean,
    anchor: number,
    last: string,
  ): Promise<number[]> {
    return (await this.queue.context.run("schedule-write", [
      op,
      id,
      JSON.stringify(definition),
      next === null ? "" : String(next),
      paused ? "1" : "",
      anchor,
      last,
    ])) as number[];
  }

  private async readStored(id: string): Promise<StoredSchedule | null> {
    const fields = await this.queue.context.redis.hgetall(this.queue.context.keys.schedules.of(id));
    return decodeStored(id, fields);
  }

  /** The schedules with their last runs, in two pipelined round trips (every key in the queue's slot). */
  private async read(ids: string[]): Promise<Schedule[]> {
    if (ids.length === 0) return [];
    const { redis, keys } = this.queue.context;
    const first = redis.pipeline();
    for (const id of ids) {
      first.hgetall(keys.schedules.of(id));
      first.zrevrange(keys.schedules.runs(id), 0, SCHEDULE_LIMITS.lastRuns - 1, "WITHSCORES");
    }
    const replies = (await first.exec()) ?? [];
    const rows = ids.map((id, index) => {
      const [hashError, fields] = replies[index * 2] ?? [null, {}];
      const [runsError, flat] = replies[index * 2 + 1] ?? [null, []];
      if (hashError) throw hashError;
      if (runsError) throw runsError;
      const record = fields as Record<string, string>;
      const pairs = flat as string[];
      const runs: [string, number][] = [];
      for (let i = 0; i + 1 < pairs.length; i += 2) runs.push([pairs[i] as string, Number(pairs[i + 1])]);
      return { id, record, stored: decodeStored(id, record), runs };
    });
    const second = redis.pipeline();
    for (const row of rows) {
      for (const [member] of row.runs) second.hget(keys.job(member.replace(/:m$/, "")), "s");
    }
    const states = rows.some((row) => row.runs.length > 0) ? ((await second.exec()) ?? []) : [];
    let at = 0;
    const schedules: Schedule[] = [];
    for (const row of rows) {
      const runStates = row.runs.map(() => {
        const [error, state] = states[at++] ?? [null, null];
        if (error) throw error;
        return (state as JobState | null) ?? null;
      });
      if (row.stored)
        schedules.push(decodeSchedule(this.queue.name, row.stored, row.record, row.runs, runStates));
    }
    return schedules;
  }
}

/** The definition with an update's fields applied (`null` clears; cron and everyMs replace each other). */
function applyUpdate(
  current: ScheduleDefinition,
  edit: v.InferOutput<typeof ScheduleUpdateSchema>,
): ScheduleDefinition {
  const next: ScheduleDefinition = { ...current };
  if (edit.job !== undefined) next.job = edit.job;
  if (edit.cron !== undefined) {
    next.cron = edit.cron;
    delete next.everyMs;
  }
  if (edit.everyMs !== undefined) {
    next.everyMs = edit.everyMs;
    delete next.cron;
    delete next.timezone;
  }
  for (const field of ["timezone", "startAt", "endAt", "limit"] as const) {
    const value = edit[field];
    if (value === null) delete next[field];
    else if (value !== undefined) (next as unknown as Record<string, unknown>)[field] = value;
  }
  if (edit.misfire !== undefined) next.misfire = edit.misfire;
  if (edit.maxCatchUp !== undefined) next.maxCatchUp = edit.maxCatchUp;
  if (edit.misfireGraceMs !== undefined) next.misfireGraceMs = edit.misfireGraceMs;
  if (edit.overlap !== undefined) next.overlap = edit.overlap;
  return next;
}
