/**
 * The exit codes of `rq`, one meaning each, so scripts can branch on them
 * without parsing messages (the README lists them), and the mapping from an
 * API failure to its code.
 */
import { ApiRequestError } from "@rqueue/shared/client";

export const EXIT = {
  ok: 0,
  /** Unknown command or option, a missing argument, a payload that is not JSON. */
  usage: 1,
  /** The API refused the request (4xx other than 404, or 5xx). */
  api: 2,
  /** The job, queue or route named does not exist (404). */
  notFound: 3,
  /** `wait` (or `submit --wait`): the job failed or was canceled, or did not finish in time. */
  jobNotCompleted: 4,
  /** The API could not be reached at all (connection refused, DNS, TLS). */
  unreachable: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A mistake in the command line: reported with the usage hint, exit 1. */
export class UsageError extends Error {
  override name = "UsageError";
}

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof ApiRequestError) {
    if (error.status === 0) return EXIT.unreachable;
    if (error.status === 404) return EXIT.notFound;
    return EXIT.api;
  }
  return EXIT.api;
}
