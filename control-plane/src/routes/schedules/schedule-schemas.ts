/**
 * The response schema of a schedule for the OpenAPI document, with a compile-time
 * check that it keeps the contract's fields. Request bodies are the shared
 * ScheduleInputSchema and ScheduleUpdateSchema.
 */
import {
  JOB_STATES,
  MISFIRE_POLICIES,
  OVERLAP_POLICIES,
  type Schedule,
  ScheduleJobTemplateSchema,
} from "@rqueue/shared";
import * as v from "valibot";

const isoTime = v.pipe(v.string(), v.isoTimestamp());

export const ScheduleSchema = v.object({
  id: v.string(),
  queue: v.string(),
  job: ScheduleJobTemplateSchema,
  cron: v.nullable(v.string()),
  timezone: v.nullable(v.string()),
  everyMs: v.nullable(v.number()),
  startAt: v.nullable(isoTime),
  endAt: v.nullable(isoTime),
  limit: v.nullable(v.number()),
  misfire: v.picklist(MISFIRE_POLICIES),
  maxCatchUp: v.number(),
  misfireGraceMs: v.number(),
  overlap: v.picklist(OVERLAP_POLICIES),
  status: v.picklist(["active", "paused", "finished"]),
  nextRunAt: v.nullable(isoTime),
  nextRuns: v.pipe(v.array(isoTime), v.description("up to 5 upcoming due times")),
  lastRuns: v.pipe(
    v.array(
      v.object({
        jobId: v.string(),
        dueAt: isoTime,
        manual: v.boolean(),
        state: v.nullable(v.picklist(JOB_STATES)),
      }),
    ),
    v.description("up to 20, newest first; state null when the job is gone"),
  ),
  runs: v.pipe(v.number(), v.description("scheduled runs started (toward limit)")),
  triggered: v.number(),
  misfired: v.number(),
  overlapSkipped: v.number(),
  lastError: v.nullable(v.object({ at: isoTime, message: v.string() })),
  version: v.number(),
  createdAt: isoTime,
  updatedAt: isoTime,
});

type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never]
  ? true
  : false;
// Fail to compile when the contract's Schedule gains or loses a field the document does not describe.
export const SCHEDULE_SCHEMA_MATCHES: SameKeys<v.InferOutput<typeof ScheduleSchema>, Schedule> = true;
