/**
 * Turns a job's outcome into the four fields settle-and-take.lua reads. Results
 * and errors are size-limited here: an oversized or non-JSON result fails the
 * attempt as unrecoverable rather than being stored.
 */

import { findNonJson, utf8Length } from "../schemas/json-value.js";
import { LIMITS } from "../schemas/limits.js";
import { stringifyWellFormed, toWellFormed, truncateText } from "../schemas/unicode.js";
import { type Outcome, RateLimitedError, UnrecoverableError } from "./leased-job.js";

/** The stack's header and first frames: the frames that locate a failure come first. */
const firstLines = (stack: string) => stack.split("\n", LIMITS.errorStackLines).join("\n");

export function encodeError(error: unknown, workerId: string, reason?: string) {
  const err = error instanceof Error ? error : new Error(String(error));
  return {
    message: truncateText(err.message || err.name || "error", LIMITS.errorMessageChars),
    ...(err.stack ? { stack: truncateText(firstLines(err.stack), LIMITS.errorStackChars) } : {}),
    workerId: toWellFormed(workerId),
    ...(reason ? { reason: toWellFormed(reason) } : {}),
  };
}

/**
 * Appends an outcome's fields to a call's arguments: seq, token, kind (c | f | u | l),
 * data. The attempt number and time are added in Lua. Appended in place, as the
 * settle call of a batch is built once per batch, not once per job.
 */
export function pushOutcome(args: (string | number)[], outcome: Outcome, workerId: string): void {
  const { seq, token } = outcome.lease;
  if (outcome.kind === "completed" && outcome.result === undefined) {
    args.push(seq, token, "c", "");
    return;
  }
  const [kind, data] = outcomeData(outcome, workerId);
  args.push(seq, token, kind, data);
}

function outcomeData(outcome: Outcome, workerId: string): [kind: "c" | "f" | "u" | "l", data: string] {
  if (outcome.kind === "completed") {
    // A result is the handler's to give: lone surrogates in it are replaced, not failed.
    const problem = findNonJson(outcome.result, LIMITS.jsonDepth, { allowLoneSurrogates: true });
    const encoded = problem ? "" : stringifyWellFormed(outcome.result);
    if (problem || utf8Length(encoded) > LIMITS.resultBytes) {
      const message = problem
        ? `result is not JSON: ${problem}`
        : `result is ${utf8Length(encoded)} bytes, more than the limit of ${LIMITS.resultBytes}`;
      return ["u", JSON.stringify(encodeError(new UnrecoverableError(message), workerId, "invalid-result"))];
    }
    return ["c", encoded];
  }
  if (outcome.error instanceof RateLimitedError && !outcome.unrecoverable) {
    const wait = Math.min(outcome.error.retryAfterMs, LIMITS.maxBackoffMs);
    return ["l", `${wait}|${outcome.error.scope}`];
  }
  const unrecoverable = outcome.unrecoverable || outcome.error instanceof UnrecoverableError;
  return [unrecoverable ? "u" : "f", JSON.stringify(encodeError(outcome.error, workerId, outcome.reason))];
}
