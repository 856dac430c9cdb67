/**
 * The gauges an operator and the autoscaler need per queue, read in one script
 * call: counts per state and type, backlog (pending plus due scheduled — what
 * could start now, so delayed and prioritized jobs are never missed), the oldest
 * pending job's age, whether the queue is paused, and the bytes its memory budget
 * counts.
 */
import { JOB_STATES, type JobState } from "../schemas/job-state.js";
import type { StateCounts } from "./list-jobs.js";
import type { QueueContext } from "./queue-context.js";

export interface QueueGauges {
  name: string;
  paused: boolean;
  counts: StateCounts;
  countsByType: Record<string, StateCounts>;
  /** Scheduled jobs whose run time has passed but that no one promoted yet. */
  dueScheduled: number;
  /** Pending plus due scheduled: work that could start now. */
  backlog: number;
  /** 0 when nothing is pending. */
  oldestPendingAgeSeconds: number;
  /** The queue's accounted bytes: a per-job estimate plus payloads, for its jobs kept (see maxQueueBytes). */
  bytes: number;
  /** The memory budget `bytes` is held to (the maxQueueBytes setting of this process); 0: none. */
  maxBytes: number;
}

const zeroCounts = (): StateCounts =>
  Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as StateCounts;

export async function readGauges(ctx: QueueContext): Promise<QueueGauges> {
  const [flat, dueScheduled, oldest, paused, now, bytes] = (await ctx.run("read-queue-gauges", [
    ...JOB_STATES,
  ])) as [(string | number)[], number, number | null, number, number, number];
  const total = zeroCounts();
  const countsByType: Record<string, StateCounts> = {};
  const width = JOB_STATES.length + 1;
  for (let i = 0; i < flat.length; i += width) {
    const counts = zeroCounts();
    JOB_STATES.forEach((state: JobState, offset) => {
      counts[state] = Number(flat[i + 1 + offset]);
      total[state] += counts[state];
    });
    countsByType[String(flat[i])] = counts;
  }
  return {
    name: ctx.name,
    paused: paused === 1,
    counts: total,
    countsByType,
    dueScheduled,
    backlog: total.pending + dueScheduled,
    oldestPendingAgeSeconds: oldest === null ? 0 : Math.max(0, Math.round((now - oldest) / 100) / 10),
    bytes,
    maxBytes: ctx.settings.maxQueueBytes,
  };
}
