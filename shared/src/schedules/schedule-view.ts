/**
 * A schedule as the engine and the API show it, decoded from its hash (fields
 * listed in scripts/schedule-write.lua) and its last runs with their jobs' states.
 */
import { formatJobId } from "../job-id.js";
import type { JobState } from "../schemas/job-state.js";
import {
  type MisfirePolicy,
  type OverlapPolicy,
  SCHEDULE_LIMITS,
  type ScheduleDefinition,
  type ScheduleJobTemplate,
} from "../schemas/schedule-input.js";
import { dueTimesFrom } from "./schedule-timing.js";

export interface ScheduleRun {
  jobId: string;
  /** The due time it ran for; for a run by hand, when it was triggered. */
  dueAt: string;
  /** Triggered by hand ("trigger now"), not by the schedule. */
  manual: boolean;
  /** The job's state now; null when the job is gone (trimmed by retention or deleted). */
  state: JobState | null;
}

export type ScheduleStatus = "active" | "paused" | "finished";

export interface Schedule {
  id: string;
  queue: string;
  job: ScheduleJobTemplate;
  cron: string | null;
  timezone: string | null;
  everyMs: number | null;
  startAt: string | null;
  endAt: string | null;
  limit: number | null;
  misfire: MisfirePolicy;
  maxCatchUp: number;
  misfireGraceMs: number;
  overlap: OverlapPolicy;
  status: ScheduleStatus;
  /** The next due time; null when paused or finished. */
  nextRunAt: string | null;
  /** Up to 5 upcoming due times, the next first. */
  nextRuns: string[];
  /** The latest runs (up to 20), newest first. */
  lastRuns: ScheduleRun[];
  /** Scheduled runs started (toward `limit`). */
  runs: number;
  /** Runs triggered by hand. */
  triggered: number;
  /** Due times skipped by the misfire policy. */
  misfired: number;
  /** Due times skipped because the previous run was not finished (overlap: skip). */
  overlapSkipped: number;
  /** Why the latest due time could not start a job (e.g. the template no longer validates). */
  lastError: { at: string; message: string } | null;
  /** Changes on every update, pause and resume. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** The hash fields a firing round and an update need. */
export interface StoredSchedule {
  id: string;
  definition: ScheduleDefinition;
  anchorMs: number;
  nextMs: number | null;
  version: number;
  epoch: string;
  paused: boolean;
  finished: boolean;
  runs: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const numberOr = (value: string | undefined, fallback: number) =>
  value === undefined || value === "" ? fallback : Number(value);

export function decodeStored(id: string, fields: Record<string, string>): StoredSchedule | null {
  if (fields.d === undefined) return null;
  return {
    id,
    definition: JSON.parse(fields.d) as ScheduleDefinition,
    anchorMs: numberOr(fields.a, 0),
    nextMs: fields.n === undefined ? null : Number(fields.n),
    version: numberOr(fields.v, 0),
    epoch: fields.e ?? "",
    paused: fields.p === "1",
    finished: fields.done === "1",
    runs: numberOr(fields.runs, 0),
  };
}

/** `runs` is the runs set, newest first, as [member, due ms]; `states` the state of each run's job. */
export function decodeSchedule(
  queue: string,
  stored: StoredSchedule,
  fields: Record<string, string>,
  runs: [member: string, dueMs: number][],
  states: (JobState | null)[],
): Schedule {
  const { definition: d } = stored;
  const status: ScheduleStatus = stored.finished ? "finished" : stored.paused ? "paused" : "active";
  const next = status === "active" ? stored.nextMs : null;
  return {
    id: stored.id,
    queue,
    job: d.job,
    cron: d.cron ?? null,
    timezone: d.cron !== undefined ? (d.timezone ?? "UTC") : null,
    everyMs: d.everyMs ?? null,
    startAt: d.startAt !== undefined ? iso(d.startAt) : null,
    endAt: d.endAt !== undefined ? iso(d.endAt) : null,
    limit: d.limit ?? null,
    misfire: d.misfire,
    maxCatchUp: d.maxCatchUp,
    misfireGraceMs: d.misfireGraceMs,
    overlap: d.overlap,
    status,
    nextRunAt: next === null ? null : iso(next),
    nextRuns: next === null ? [] : dueTimesFrom(d, stored.anchorMs, next, SCHEDULE_LIMITS.nextRuns).map(iso),
    lastRuns: runs.map(([member, dueMs], index) => ({
      jobId: formatJobId(queue, member.replace(/:m$/, "")),
      dueAt: iso(dueMs),
      manual: member.endsWith(":m"),
      state: states[index] ?? null,
    })),
    runs: stored.runs,
    triggered: numberOr(fields.trig, 0),
    misfired: numberOr(fields.mis, 0),
    overlapSkipped: numberOr(fields.ovl, 0),
    lastError: fields.err !== undefined ? { at: iso(numberOr(fields.erra, 0)), message: fields.err } : null,
    version: stored.version,
    createdAt: iso(numberOr(fields.c, 0)),
    updatedAt: iso(numberOr(fields.u, 0)),
  };
}
