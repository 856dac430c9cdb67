/**
 * Turns a job's outcome into the four fields settle-and-take.lua reads. Results
 * and errors are size-limited here: an oversized or non-JSON result fails the
 * attempt as unrecoverable rather than being stored.
 */

import { findNonJson, utf8Length } from "../schemas/json-value.js";
import { LIMITS } from "../schemas/limits.js";
import { type Outcome, UnrecoverableError } from "./leased-job.js";

const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);

export function encodeError(error: unknown, workerId: string, reason?: string) {
  const err = error instanceof Error ? error : new Error(String(error));
  return {
    message: truncate(err.message || err.name, LIMITS.errorMessageChars),
    ...(err.stack ? { stack: truncate(err.stack, LIMITS.errorStackChars) } : {}),
    workerId,
    ...(reason ? { reason } : {}),
  };
}

/** Fields: seq, token, kind (c | f | u), data. The attempt number and time are added in Lua. */
export function encodeOutcome(outcome: Outcome, workerId: string): string[] {
  const { seq, token } = outcome.lease;
  if (outcome.kind === "completed") {
    if (outcome.result === undefined) return [seq, token, "c", ""];
    const problem = findNonJson(outcome.result, LIMITS.jsonDepth);
    const encoded = problem ? "" : JSON.stringify(outcome.result);
    if (problem || utf8Length(encoded) > LIMITS.resultBytes) {
      const message = problem
        ? `result is not JSON: ${problem}`
        : `result is ${utf8Length(encoded)} bytes, more than the limit of ${LIMITS.resultBytes}`;
      return [
        seq,
        token,
        "u",
        JSON.stringify(encodeError(new UnrecoverableError(message), workerId, "invalid-result")),
      ];
    }
    return [seq, token, "c", encoded];
  }
  const unrecoverable = outcome.unrecoverable || outcome.error instanceof UnrecoverableError;
  return [
    seq,
    token,
    unrecoverable ? "u" : "f",
    JSON.stringify(encodeError(outcome.error, workerId, outcome.reason)),
  ];
}
