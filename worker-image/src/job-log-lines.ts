/**
 * One log line per finished attempt: job id, queue, type, attempt and duration.
 * Completions are `debug` (one per job would drown a busy worker's log; LOG_LEVEL=debug
 * shows them), every failure is `warn` with its error, and an attempt that was
 * abandoned (canceled, lease lost, shutdown) is `info` with the reason.
 */
import { type AbortReason, type LeasedJob, type Outcome, UnrecoverableError } from "@rqueue/shared";
import { describeError, type Logger } from "./logger.js";

export function logJobEnd(
  logger: Logger,
  job: LeasedJob,
  outcome: Outcome["kind"] | AbortReason,
  durationMs: number,
  error?: unknown,
): void {
  const fields = {
    jobId: job.id,
    queue: job.queue,
    type: job.type,
    attempt: job.attempt,
    maxAttempts: job.maxAttempts,
    durationMs,
  };
  if (outcome === "completed") logger.debug("job completed", fields);
  else if (outcome === "failed") {
    logger.warn("job failed", {
      ...fields,
      ...describeError(error),
      ...(error instanceof UnrecoverableError ? { unrecoverable: true } : {}),
    });
  } else logger.info("job abandoned", { ...fields, reason: outcome });
}
