/**
 * Listing and counting jobs through the per-state indexes: one page costs
 * O(log n + page) per job type, whatever the number of jobs; across every state
 * (no `state`) it merges the seven indexes, O(states · log n + page).
 */
import * as v from "valibot";
import { ValidationError } from "../errors.js";
import { decodeJob, type Job, pairsToRecord } from "../job.js";
import { JobTypeSchema, PrioritySchema } from "../schemas/job-input.js";
import { JOB_STATES, type JobState, JobStateSchema } from "../schemas/job-state.js";
import { LIMITS } from "../schemas/limits.js";
import type { QueueContext } from "./queue-context.js";

export interface ListJobsOptions {
  /**
   * Only this state. Left out: every state, pending jobs first (newest enqueued
   * first), then the other states merged by the time of their index (blocked
   * since, run time, lease deadline, finish time), newest first.
   */
  state?: JobState | undefined;
  type?: string | undefined;
  /**
   * Only jobs of this priority. Exact and O(log n + page) for pending jobs; other
   * states are filtered as read, at most 2,000 entries examined per index, so a page
   * may come back short (even empty) with a cursor that continues the walk.
   */
  priority?: number | undefined;
  /** 1–200, default 50. */
  limit?: number | undefined;
  /** `nextCursor` of the previous page. */
  cursor?: string | undefined;
}

export interface JobPage {
  items: Job[];
  nextCursor: string | null;
}

const ORDER = "[0-9.e+-]+:\\d+";
// One state: '<orderKey>:<seq>'. Every state: a phase first ('p' pending, 't' the other states).
const STATE_CURSOR = new RegExp(`^${ORDER}$`);
const EVERY_STATE_CURSOR = new RegExp(`^(t|[pt]:${ORDER})$`);
const NOT_A_CURSOR = "is not a cursor returned by this API";

export const ListJobsSchema = v.strictObject({
  state: v.optional(JobStateSchema),
  type: v.optional(JobTypeSchema),
  priority: v.optional(PrioritySchema),
  limit: v.optional(
    v.pipe(
      v.number("must be a number"),
      v.integer("must be an integer"),
      v.minValue(1, "must be at least 1"),
      v.maxValue(LIMITS.listPageMax, `must be at most ${LIMITS.listPageMax}`),
    ),
  ),
  cursor: v.optional(
    v.pipe(
      v.string(),
      v.transform((text) => Buffer.from(text, "base64url").toString("utf8")),
      v.regex(/^[0-9a-z.:+-]+$/, NOT_A_CURSOR),
    ),
  ),
});

export async function listJobs(ctx: QueueContext, options: ListJobsOptions): Promise<JobPage> {
  const parsed = v.safeParse(ListJobsSchema, options);
  if (!parsed.success) throw ValidationError.fromValibot(parsed.issues);
  const { state, type, priority, limit = 50, cursor } = parsed.output;
  if (cursor !== undefined && !(state ? STATE_CURSOR : EVERY_STATE_CURSOR).test(cursor)) {
    // A cursor of a one-state listing does not continue an every-state one, nor the reverse.
    throw new ValidationError([{ path: "cursor", message: `${NOT_A_CURSOR} for this listing` }]);
  }
  const [rows, next] = (await ctx.run("list-jobs", [
    state ?? "",
    type ?? "",
    cursor ?? "",
    limit,
    priority ?? "",
  ])) as [string[][], string | null];
  return {
    items: rows.map((row) =>
      decodeJob(ctx.name, row[0] as string, pairsToRecord(row, 1), undefined, ctx.settings.defaultBackoff),
    ),
    nextCursor: next ? Buffer.from(next, "utf8").toString("base64url") : null,
  };
}

export type StateCounts = Record<JobState, number>;

export interface JobCounts {
  total: StateCounts;
  byType: Record<string, StateCounts>;
}

const zeroCounts = (): StateCounts =>
  Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as StateCounts;

export async function countJobs(ctx: QueueContext): Promise<JobCounts> {
  const reply = (await ctx.run("count-jobs", [...JOB_STATES])) as (string | number)[];
  const total = zeroCounts();
  const byType: Record<string, StateCounts> = {};
  const width = JOB_STATES.length + 1;
  for (let i = 0; i < reply.length; i += width) {
    const counts = zeroCounts();
    JOB_STATES.forEach((state, offset) => {
      const n = Number(reply[i + 1 + offset]);
      counts[state] = n;
      total[state] += n;
    });
    byType[String(reply[i])] = counts;
  }
  return { total, byType };
}
