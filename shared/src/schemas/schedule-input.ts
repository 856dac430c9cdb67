/**
 * The schema of a repeatable job schedule, written once and used by the engine
 * (`QueueSchedules.create`/`update`), the HTTP API, the dashboard's form and the
 * OpenAPI document. It is browser-safe: the cron expression is checked here for
 * its shape (5 or 6 fields) and the time zone with `Intl`; the engine parses the
 * expression itself with croner and names `cron` when croner refuses it.
 */
import * as v from "valibot";
import { integerIn } from "./integer-in.js";
import {
  BackoffSchema,
  JobTypeSchema,
  jsonValueSchema,
  PrioritySchema,
  QueueNameSchema,
} from "./job-input.js";
import { LIMITS } from "./limits.js";

const DAY_MS = 86_400_000;

export const SCHEDULE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const MISFIRE_POLICIES = ["runOnce", "runAll", "skip"] as const;
export type MisfirePolicy = (typeof MISFIRE_POLICIES)[number];
export const OVERLAP_POLICIES = ["allow", "skip"] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

export const SCHEDULE_LIMITS = {
  /** Shortest fixed interval: the firing loop runs about every half second. */
  minEveryMs: 1_000,
  maxEveryMs: LIMITS.maxDelayMs,
  /** Missed runs `runAll` starts after downtime, at most (the older ones are skipped). */
  maxCatchUp: 1_000,
  defaultCatchUp: 100,
  /** How late a due time may still start as if on time. */
  defaultMisfireGraceMs: 60_000,
  maxMisfireGraceMs: DAY_MS,
  /** Runs (job ids and due times) each schedule remembers. */
  lastRuns: 20,
  /** Upcoming due times a schedule shows. */
  nextRuns: 5,
  maxRunLimit: 1_000_000_000,
} as const;

export const DEFAULT_SCHEDULE_POLICY = {
  misfire: "runOnce" as MisfirePolicy,
  maxCatchUp: SCHEDULE_LIMITS.defaultCatchUp,
  misfireGraceMs: SCHEDULE_LIMITS.defaultMisfireGraceMs,
  overlap: "allow" as OverlapPolicy,
};

export const ScheduleIdSchema = v.pipe(
  v.string("must be a string"),
  v.regex(SCHEDULE_ID_PATTERN, "must be 1-64 of A-Z a-z 0-9 _ . - (not starting with _ . -)"),
);

/** 5 fields (minute first) or 6 (second first), separated by spaces; croner checks the rest. */
const CRON_SHAPE = /^\S+( \S+){4,5}$/;
const CronSchema = v.pipe(
  v.string("must be a string"),
  v.maxLength(256, "must be at most 256 characters"),
  v.check(
    (cron) => CRON_SHAPE.test(cron.trim().replace(/\s+/g, " ")),
    'must have 5 fields ("0 9 * * 1-5") or 6 with seconds first ("*/10 * * * * *")',
  ),
);

const isTimeZone = (zone: string) => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};
const TimeZoneSchema = v.pipe(
  v.string("must be a string"),
  v.maxLength(64, "must be at most 64 characters"),
  v.check(isTimeZone, 'must be an IANA time zone such as "Europe/Berlin" or "UTC"'),
);

const INSTANT_FORMS = 'an ISO 8601 timestamp such as "2026-12-01T09:00:00Z" or epoch milliseconds';
const InstantSchema = v.pipe(
  v.custom<string | number>(
    (value) =>
      (typeof value === "number" && Number.isInteger(value) && value >= 0) ||
      (typeof value === "string" && !Number.isNaN(Date.parse(value))),
    `must be ${INSTANT_FORMS}`,
  ),
  v.transform((value) => (typeof value === "number" ? value : Date.parse(value))),
);

/** What each run submits: a job as `POST /v1/jobs` takes it, without queue, delay, dependencies or keys. */
export const ScheduleJobTemplateSchema = v.strictObject({
  type: JobTypeSchema,
  payload: v.optional(jsonValueSchema(LIMITS.payloadBytes), {}),
  priority: v.optional(PrioritySchema),
  maxAttempts: v.optional(integerIn(1, 100)),
  backoff: v.optional(BackoffSchema),
  timeoutMs: v.optional(integerIn(1, LIMITS.maxTimeoutMs)),
});
export type ScheduleJobTemplate = v.InferOutput<typeof ScheduleJobTemplateSchema>;

const timingEntries = {
  /** Cron expression, 5 fields or 6 with seconds; exclusive with `everyMs`. */
  cron: v.optional(CronSchema),
  /** IANA time zone the cron expression is read in (default UTC); only with `cron`. */
  timezone: v.optional(TimeZoneSchema),
  /** Fixed interval in ms, counted from `startAt` (or from creation); exclusive with `cron`. */
  everyMs: v.optional(integerIn(SCHEDULE_LIMITS.minEveryMs, SCHEDULE_LIMITS.maxEveryMs)),
  /** No run before this instant. */
  startAt: v.optional(InstantSchema),
  /** No run after this instant. */
  endAt: v.optional(InstantSchema),
  /** At most this many scheduled runs (triggers by hand do not count). */
  limit: v.optional(integerIn(1, SCHEDULE_LIMITS.maxRunLimit)),
  /** After downtime: start one job for the missed due times, every one (bounded by maxCatchUp), or none. */
  misfire: v.optional(v.picklist(MISFIRE_POLICIES, `must be one of ${MISFIRE_POLICIES.join(", ")}`)),
  maxCatchUp: v.optional(integerIn(1, SCHEDULE_LIMITS.maxCatchUp)),
  /** A due time later than this is a misfire, handled by `misfire`; within it, it just starts late. */
  misfireGraceMs: v.optional(integerIn(0, SCHEDULE_LIMITS.maxMisfireGraceMs)),
  /** `skip`: a due time whose previous run is not final yet starts nothing. */
  overlap: v.optional(v.picklist(OVERLAP_POLICIES, `must be one of ${OVERLAP_POLICIES.join(", ")}`)),
  paused: v.optional(v.boolean("must be a boolean")),
};

export interface TimingFields {
  cron?: string | undefined;
  timezone?: string | null | undefined;
  everyMs?: number | undefined;
  startAt?: number | null | undefined;
  endAt?: number | null | undefined;
}

/**
 * The checks across fields (valibot's object schemas check one field at a time):
 * exactly one of `cron` and `everyMs`; `timezone` only with `cron`; `endAt` after
 * `startAt`. Empty when the timing is whole.
 */
export function scheduleTimingIssues(input: TimingFields): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  if (input.cron !== undefined && input.everyMs !== undefined) {
    issues.push({ path: "cron", message: "give cron or everyMs, not both" });
  } else if (input.cron === undefined && input.everyMs === undefined) {
    issues.push({ path: "cron", message: "is required (or give everyMs)" });
  }
  if (input.timezone != null && input.cron === undefined) {
    issues.push({ path: "timezone", message: "applies to cron only, not to everyMs" });
  }
  if (input.startAt != null && input.endAt != null && input.endAt <= input.startAt) {
    issues.push({ path: "endAt", message: "must be after startAt" });
  }
  return issues;
}

export const ScheduleInputSchema = v.strictObject({
  /** Chosen by the caller (unique per queue), or generated. */
  id: v.optional(ScheduleIdSchema),
  queue: v.optional(QueueNameSchema),
  job: ScheduleJobTemplateSchema,
  ...timingEntries,
});
export type ScheduleInput = v.InferInput<typeof ScheduleInputSchema>;
export type ParsedScheduleInput = v.InferOutput<typeof ScheduleInputSchema>;

/**
 * An update: the fields given replace the schedule's; `null` clears an optional one
 * (`startAt`, `endAt`, `limit`, `timezone`). Giving `cron` drops `everyMs` and back.
 */
const nullable = <T extends v.GenericSchema>(schema: T) => v.optional(v.nullable(schema));
export const ScheduleUpdateSchema = v.strictObject({
  job: v.optional(ScheduleJobTemplateSchema),
  cron: v.optional(CronSchema),
  timezone: nullable(TimeZoneSchema),
  everyMs: timingEntries.everyMs,
  startAt: nullable(InstantSchema),
  endAt: nullable(InstantSchema),
  limit: nullable(integerIn(1, SCHEDULE_LIMITS.maxRunLimit)),
  misfire: timingEntries.misfire,
  maxCatchUp: timingEntries.maxCatchUp,
  misfireGraceMs: timingEntries.misfireGraceMs,
  overlap: timingEntries.overlap,
  paused: timingEntries.paused,
});
export type ScheduleUpdate = v.InferInput<typeof ScheduleUpdateSchema>;

/** A schedule's definition as stored: everything but its state, defaults filled in. */
export interface ScheduleDefinition {
  job: ScheduleJobTemplate;
  cron?: string;
  timezone?: string;
  everyMs?: number;
  startAt?: number;
  endAt?: number;
  limit?: number;
  misfire: MisfirePolicy;
  maxCatchUp: number;
  misfireGraceMs: number;
  overlap: OverlapPolicy;
}
