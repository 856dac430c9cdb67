/**
 * Turns the Simulate form into batches of job inputs for POST /v1/jobs/batch:
 * a registered type with the payload its form built (see schema-fields.ts), a
 * fixed priority or one spread over 1–10, an optional delay, an optional group
 * (tenant) for fair queuing, one or spread over several, and optionally a chain
 * (each job depends on the one before, across batches by id).
 */
import { type JobInput, LIMITS, PRIORITY } from "@rqueue/shared/contract";

export const MAX_SIMULATED_JOBS = 20_000;

export interface SimulatePlan {
  queue: string;
  type: string;
  count: number;
  /** A priority 1–10, or "spread" to cycle through all of them. */
  priority: number | "spread";
  /** The payload of every job. */
  payload: JobInput["payload"];
  delayMs: number;
  maxAttempts: number;
  /** The jobs' group (tenant) for fair queuing; "" for none. */
  group: string;
  /** With a group: 1 puts every job in it, n > 1 spreads them over `<group>-0` … `<group>-<n-1>`. */
  groups: number;
  chain: boolean;
}

const priorityAt = (plan: SimulatePlan, index: number) =>
  plan.priority === "spread" ? PRIORITY.max - (index % (PRIORITY.max - PRIORITY.min + 1)) : plan.priority;

/**
 * The batches to send, in order. In a chain, the first job of each batch after the
 * first depends on `previousId` (the last job of the batch before), which the
 * caller passes once that batch is stored.
 */
export function buildBatch(plan: SimulatePlan, start: number, previousId: string | null): JobInput[] {
  const end = Math.min(plan.count, start + LIMITS.batchJobs);
  const jobs: JobInput[] = [];
  for (let index = start; index < end; index++) {
    const job: JobInput = {
      type: plan.type,
      queue: plan.queue,
      payload: plan.payload,
      priority: priorityAt(plan, index),
      maxAttempts: plan.maxAttempts,
    };
    if (plan.delayMs > 0) job.delayMs = plan.delayMs;
    if (plan.group !== "") job.group = plan.groups > 1 ? `${plan.group}-${index % plan.groups}` : plan.group;
    if (plan.chain) {
      job.ref = `j${index}`;
      if (index > start) job.dependsOn = [`j${index - 1}`];
      else if (previousId) job.dependsOn = [previousId];
    }
    jobs.push(job);
  }
  return jobs;
}
