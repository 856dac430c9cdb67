/**
 * One firing round over a queue's due schedules, safe to run from every control
 * plane at once. Exactly one job per due time comes from two steps in Redis:
 *
 * 1. The jobs are added through the ordinary add path (add-jobs.lua) with an
 *    idempotency key made of the schedule id, its epoch (new whenever a schedule is
 *    created under the id) and the due time: two rounds that pick the same due time
 *    get the same job, and a round that dies after adding and before step 2 is
 *    simply repeated by the next round, which finds its jobs.
 * 2. schedule-advance.lua moves the next due time on by compare-and-set on the
 *    stored next due time and version, recording the runs.
 *
 * The key lasts the queue's idempotency window (24 h by default), so a due time
 * older than the window, less twice a round's budget, is never started: its job
 * may exist under a key that expired. Each round carries a Redis deadline (its
 * scripts are refused once it passed), so a round that stalls cannot add a job
 * for a due time it judged long ago.
 */
import { ValidationError } from "../errors.js";
import { pairsToRecord } from "../job.js";
import { parseJobId } from "../job-id.js";
import { IdempotencyConflictError } from "../queue/idempotency.js";
import type { Queue } from "../queue/queue.js";
import { isFinalState, type JobState } from "../schemas/job-state.js";
import { LIMITS } from "../schemas/limits.js";
import { SCHEDULE_LIMITS } from "../schemas/schedule-input.js";
import { type Plan, planDueRuns } from "./schedule-plan.js";
import { decodeStored, type StoredSchedule } from "./schedule-view.js";

/** How long one batch of a round may take before Redis refuses its writes. */
export const ROUND_BUDGET_MS = 10_000;
/** Schedules can only rely on keys kept longer than this (a queue setting; 24 h by default). */
export const MIN_IDEMPOTENCY_WINDOW_MS = 4 * ROUND_BUDGET_MS;

/** The idempotency key of one schedule's run for one due time. */
export const scheduleRunKey = (id: string, epoch: string, dueMs: number) =>
  `rq-schedule:${id}:${epoch}:${dueMs}`;

export interface FireTotals {
  /** Due schedules looked at. */
  schedules: number;
  /** Jobs this round created. */
  fired: number;
  misfired: number;
  overlapSkipped: number;
  /** Schedules another round (another control plane) had advanced first. */
  stale: number;
  /** Due times that could not start a job (their error is on the schedule). */
  failed: number;
}

const emptyTotals = (): FireTotals => ({
  schedules: 0,
  fired: 0,
  misfired: 0,
  overlapSkipped: 0,
  stale: 0,
  failed: 0,
});

interface RunJob {
  schedule: number;
  due: number;
  input: Parameters<Queue["add"]>[0];
}
type RunResult = { seq: string; created: boolean } | { error: string };

interface PlannedSchedule {
  stored: StoredSchedule;
  plan: Plan;
  jobs: { seq: string; due: number; created: boolean }[];
  error: string;
}

/** Adds the runs in bulk; when a bulk add is refused for one job, each job on its own. */
async function addRuns(queue: Queue, jobs: RunJob[]): Promise<RunResult[]> {
  const results: RunResult[] = [];
  for (let start = 0; start < jobs.length; start += LIMITS.batchJobs) {
    const chunk = jobs.slice(start, start + LIMITS.batchJobs);
    try {
      const added = await queue.addBulk(chunk.map((job) => job.input));
      for (const job of added) results.push({ seq: parseJobId(job.id).seq, created: job.created });
    } catch (error) {
      if (!(error instanceof ValidationError || error instanceof IdempotencyConflictError)) throw error;
      for (const job of chunk) results.push(await addOne(queue, job));
    }
  }
  return results;
}

async function addOne(queue: Queue, job: RunJob): Promise<RunResult> {
  try {
    const added = await queue.add(job.input);
    return { seq: parseJobId(added.id).seq, created: added.created };
  } catch (error) {
    // The key names this due time's job: it exists, added from the template before an update.
    if (error instanceof IdempotencyConflictError) {
      return { seq: parseJobId(error.existingJobId).seq, created: false };
    }
    if (error instanceof ValidationError) return { error: `could not add the job: ${error.message}` };
    throw error;
  }
}

const lastRunFinished = (state: string): boolean | null =>
  state === "" || state === "gone" ? null : isFinalState(state as JobState);

/** One batch: read what is due, add its jobs, advance. Returns how many schedules were due. */
async function fireBatch(queue: Queue, batch: number, totals: FireTotals): Promise<number> {
  const ctx = queue.context;
  const reply = (await ctx.run("due-schedules", [batch])) as [number, ...(string | string[])[]];
  const nowMs = Number(reply[0]);
  const oldestSafeMs = nowMs - (ctx.settings.idempotencyWindowMs - 2 * ROUND_BUDGET_MS);
  const plans: PlannedSchedule[] = [];
  const jobs: RunJob[] = [];
  for (let i = 1; i + 2 < reply.length; i += 3) {
    const id = reply[i] as string;
    const stored = decodeStored(id, pairsToRecord(reply[i + 1] as string[]));
    if (!stored || stored.nextMs === null) continue;
    const plan = planDueRuns({
      definition: stored.definition,
      anchorMs: stored.anchorMs,
      nextMs: stored.nextMs,
      nowMs,
      runs: stored.runs,
      lastRunFinished: lastRunFinished(reply[i + 2] as string),
      oldestSafeMs,
    });
    for (const due of plan.fire) {
      jobs.push({
        schedule: plans.length,
        due,
        input: { ...stored.definition.job, idempotencyKey: scheduleRunKey(id, stored.epoch, due) },
      });
    }
    plans.push({ stored, plan, jobs: [], error: "" });
  }
  if (plans.length === 0) return 0;

  const results = await addRuns(queue, jobs);
  results.forEach((result, index) => {
    const job = jobs[index] as RunJob;
    const entry = plans[job.schedule];
    if (!entry) return;
    if ("error" in result) {
      entry.error = result.error;
      totals.failed++;
    } else {
      entry.jobs.push({ seq: result.seq, due: job.due, created: result.created });
      if (result.created) totals.fired++;
    }
  });

  const args: (string | number)[] = [SCHEDULE_LIMITS.lastRuns, plans.length];
  for (const { stored, plan, jobs: added, error } of plans) {
    const failed = plan.fire.length - added.length;
    args.push(
      "a",
      stored.id,
      String(stored.nextMs),
      String(stored.version),
      plan.nextMs === null ? "" : String(plan.nextMs),
      plan.misfired + failed,
      plan.overlapSkipped,
      error,
      added.length,
    );
    for (const job of added) args.push(job.seq, String(job.due), job.created ? "1" : "0", "0");
    totals.misfired += plan.misfired;
    totals.overlapSkipped += plan.overlapSkipped;
  }
  const codes = (await ctx.run("schedule-advance", args)) as number[];
  totals.schedules += plans.length;
  totals.stale += codes.filter((code) => code !== 1).length;
  return plans.length;
}

export interface FireOptions {
  /** Schedules per batch (one read, one bulk add, one advance), 1–1000; default 200. */
  batch?: number;
  /** Batches per round at most; default 10. */
  maxBatches?: number;
}

/** Fires what is due in the queue now. Any number of processes may run it at once. */
export async function fireDueSchedules(queue: Queue, options: FireOptions = {}): Promise<FireTotals> {
  const batch = options.batch ?? 200;
  const totals = emptyTotals();
  for (let round = 0; round < (options.maxBatches ?? 10); round++) {
    const due = await fireBatch(queue.withDeadline(Date.now() + ROUND_BUDGET_MS), batch, totals);
    if (due < batch) break;
  }
  return totals;
}
