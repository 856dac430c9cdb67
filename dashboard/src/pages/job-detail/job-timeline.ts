/**
 * A job's timeline from what the job records: created, scheduled run time, expiry
 * (while it applies), each failed attempt (with the backoff until the next start where known), the latest
 * start and the finish, each with the time since the step before.
 */
import type { Job } from "@rqueue/shared/contract";

export interface TimelineStep {
  at: number;
  label: string;
  detail?: string;
  /** Milliseconds since the previous step. */
  sincePrevious: number | null;
  kind: "created" | "scheduled" | "failed" | "started" | "finished";
}

export function buildTimeline(job: Job): TimelineStep[] {
  const raw: Omit<TimelineStep, "sincePrevious">[] = [
    { at: Date.parse(job.createdAt), label: "created", kind: "created" },
  ];
  if (job.runAt) raw.push({ at: Date.parse(job.runAt), label: "due to run", kind: "scheduled" });
  if (job.expiresAt)
    raw.push({ at: Date.parse(job.expiresAt), label: "expires unless started", kind: "scheduled" });
  for (const error of job.errors) {
    raw.push({
      at: Date.parse(error.at),
      label: `attempt ${error.attempt} failed`,
      detail: error.reason ? `${error.reason}: ${error.message}` : error.message,
      kind: "failed",
    });
  }
  if (job.startedAt) {
    raw.push({ at: Date.parse(job.startedAt), label: `attempt ${job.attempts} started`, kind: "started" });
  }
  if (job.finishedAt) {
    raw.push({
      at: Date.parse(job.finishedAt),
      label: job.state,
      ...(job.cancelReason ? { detail: job.cancelReason } : {}),
      kind: "finished",
    });
  }
  const steps = raw.filter((step) => !Number.isNaN(step.at)).sort((a, b) => a.at - b.at);
  return steps.map((step, index) => ({
    ...step,
    sincePrevious: index === 0 ? null : step.at - (steps[index - 1]?.at ?? step.at),
  }));
}
