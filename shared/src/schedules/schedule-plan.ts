/**
 * What one firing round does with one due schedule: which due times start a job,
 * which are skipped (misfire or overlap), and the next due time to store. A pure
 * function of the stored state and Redis's clock, so every control plane that
 * looks at the same state decides the same; the claim in Redis (add with a key
 * per due time, then compare-and-set of the next due time) makes it happen once.
 */
import type { ScheduleDefinition } from "../schemas/schedule-input.js";
import { nextDueAfter } from "./schedule-timing.js";

/** Due times one round looks at, at most: croner costs ~8 µs per step, so this bounds a round to ~80 ms. */
export const DUE_TIMES_PER_ROUND = 10_000;

export interface PlanInput {
  definition: ScheduleDefinition;
  anchorMs: number;
  /** The stored next due time, at or before `nowMs`. */
  nextMs: number;
  /** Redis's clock. */
  nowMs: number;
  /** Scheduled runs recorded so far (toward `limit`). */
  runs: number;
  /** Whether the latest run's job is final; null when there is no run (or its job is gone). */
  lastRunFinished: boolean | null;
  /**
   * Due times older than this are never started, whatever the policy: their job may
   * exist already under an idempotency key that expired since (see fire-schedules.ts).
   */
  oldestSafeMs: number;
}

export interface Plan {
  /** Due times to start a job for, oldest first. */
  fire: number[];
  misfired: number;
  overlapSkipped: number;
  /** The next due time to store; null when the schedule is finished (endAt or limit reached). */
  nextMs: number | null;
}

export function planDueRuns(input: PlanInput): Plan {
  const { definition, anchorMs, nowMs } = input;
  const due: number[] = [];
  let cursor: number | null = input.nextMs;
  while (cursor !== null && cursor <= nowMs && due.length < DUE_TIMES_PER_ROUND) {
    due.push(cursor);
    cursor = nextDueAfter(definition, anchorMs, cursor);
  }
  const caughtUp = cursor === null || cursor > nowMs;
  const isLate = (at: number) => nowMs - at > definition.misfireGraceMs || at < input.oldestSafeMs;
  const safe = (at: number) => at >= input.oldestSafeMs;

  let fire: number[];
  if (!caughtUp) {
    // More due times than one round looks at: these are the oldest, which no policy starts
    // (runAll starts the latest maxCatchUp, found by a later round).
    fire = [];
  } else if (definition.misfire === "runAll") {
    fire = due.filter(safe).slice(-definition.maxCatchUp);
  } else {
    fire = due.filter((at) => !isLate(at));
    const late = due.filter((at) => isLate(at) && safe(at));
    if (definition.misfire === "runOnce" && late.length > 0) fire.unshift(late[late.length - 1] as number);
  }

  let overlapSkipped = 0;
  if (definition.overlap === "skip" && fire.length > 0) {
    // Runs started together would overlap each other: only the latest starts.
    const latest = fire[fire.length - 1] as number;
    overlapSkipped = input.lastRunFinished === false ? fire.length : fire.length - 1;
    fire = input.lastRunFinished === false ? [] : [latest];
  }

  // Due times the limit cuts off end the schedule; they are not misfires.
  const misfired = due.length - fire.length - overlapSkipped;
  let nextMs = cursor;
  if (definition.limit !== undefined) {
    const left = Math.max(0, definition.limit - input.runs);
    if (fire.length >= left) {
      fire = fire.slice(0, left);
      nextMs = null;
    }
  }
  return { fire, misfired, overlapSkipped, nextMs };
}
