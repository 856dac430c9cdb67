/**
 * When a schedule is due: cron expressions through croner (in their time zone),
 * fixed intervals by arithmetic from their anchor, both bounded by startAt/endAt.
 * Pure functions of the definition and an instant; the instants come from Redis's
 * clock (see fire-schedules.ts), never from this host's.
 */
import { Cron } from "croner";
import type { FieldIssue } from "../errors.js";
import type { ScheduleDefinition } from "../schemas/schedule-input.js";

/** The fields that decide the due times. */
export type ScheduleTiming = Pick<ScheduleDefinition, "cron" | "timezone" | "everyMs" | "startAt" | "endAt">;

const CRON_CACHE_SIZE = 1_000;
const crons = new Map<string, Cron>();

function cronOf(expression: string, timezone: string | undefined): Cron {
  const cacheKey = `${timezone ?? ""} ${expression}`;
  let cron = crons.get(cacheKey);
  if (!cron) {
    // Paused: croner only computes here, it never runs a timer of its own.
    cron = new Cron(expression, { paused: true, timezone: timezone ?? "UTC" });
    if (crons.size >= CRON_CACHE_SIZE) {
      const oldest = crons.keys().next().value;
      if (oldest !== undefined) crons.delete(oldest);
    }
    crons.set(cacheKey, cron);
  }
  return cron;
}

/** What croner says about an expression it refuses (or one that never fires), as an issue on `cron`. */
export function cronIssue(expression: string, timezone: string | undefined): FieldIssue | null {
  try {
    const cron = cronOf(expression, timezone);
    if (!cron.nextRun(new Date())) return { path: "cron", message: "never matches a future time" };
    return null;
  } catch (error) {
    const reason = (error as Error).message.replace(/^CronPattern: /, "");
    return { path: "cron", message: `is not a valid cron expression: ${reason}` };
  }
}

/**
 * The first due time strictly after `afterMs`, or null when there is none (past
 * `endAt`, or a cron that never matches again). `anchorMs` is when an interval
 * schedule without `startAt` was created: its first run is one interval later.
 */
export function nextDueAfter(timing: ScheduleTiming, anchorMs: number, afterMs: number): number | null {
  let due: number | null;
  if (timing.everyMs !== undefined) {
    const first = timing.startAt ?? anchorMs + timing.everyMs;
    due =
      afterMs < first ? first : first + (Math.floor((afterMs - first) / timing.everyMs) + 1) * timing.everyMs;
  } else if (timing.cron !== undefined) {
    // startAt is inclusive: search from just before it.
    const from = timing.startAt !== undefined ? Math.max(afterMs, timing.startAt - 1) : afterMs;
    due = cronOf(timing.cron, timing.timezone).nextRun(new Date(from))?.getTime() ?? null;
  } else {
    due = null;
  }
  if (due === null || (timing.endAt !== undefined && due > timing.endAt)) return null;
  return due;
}

/** Up to `count` due times from `firstMs` on (it included), for display. */
export function dueTimesFrom(
  timing: ScheduleTiming,
  anchorMs: number,
  firstMs: number,
  count: number,
): number[] {
  const times = [firstMs];
  while (times.length < count) {
    const next = nextDueAfter(timing, anchorMs, times[times.length - 1] as number);
    if (next === null) break;
    times.push(next);
  }
  return times;
}
