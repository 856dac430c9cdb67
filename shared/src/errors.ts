/**
 * Typed errors of the engine, and the one place where the Lua scripts' numeric
 * failure codes become them. Every error carries a stable `code` that the HTTP API
 * passes through to clients.
 */
import type * as v from "valibot";
import type { JobState } from "./schemas/job-state.js";

export interface FieldIssue {
  /** Dotted path of the offending field, e.g. `backoff.delayMs`; empty for the whole input. */
  path: string;
  message: string;
}

export class RQueueError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Issues named one by one in an error; the rest are only counted (a hostile body can make thousands). */
export const ISSUES_LISTED = 20;
/** Characters of one path segment (a field name from the input) kept in an issue. */
const PATH_SEGMENT_CHARS = 64;

/** A field name from the input as an issue path shows it: cut short, it may be any length. */
export const issuePathSegment = (key: unknown) => {
  const text = String(key);
  return text.length > PATH_SEGMENT_CHARS ? `${text.slice(0, PATH_SEGMENT_CHARS)}…` : text;
};

/**
 * One valibot issue in API terms: a dotted path and a message that never quotes the
 * input. Valibot's own defaults (`Invalid key: Expected never but received "x"`,
 * `Invalid type: Expected string but received 12`) echo what was sent; schemas here
 * give their own messages, and the defaults left are rewritten.
 */
export function toFieldIssue(issue: v.BaseIssue<unknown>, pathPrefix = ""): FieldIssue {
  const path = [pathPrefix, ...(issue.path ?? []).map((item) => issuePathSegment(item.key))]
    .filter(Boolean)
    .join(".");
  return { path, message: humanMessage(issue) };
}

function humanMessage(issue: v.BaseIssue<unknown>): string {
  const objectLike = issue.type === "strict_object" || issue.type === "object";
  if (objectLike && issue.received === "undefined") return "is required";
  if (issue.type === "strict_object" && issue.expected === "never") return "unknown field";
  if (issue.message.startsWith("Invalid ")) {
    const expected = issue.expected ?? "another value";
    if (issue.kind === "schema") return `must be ${expected.replace(/^Object$/, "an object")}`;
    return `must be ${issue.type.replaceAll("_", " ")} ${expected}`;
  }
  return issue.message;
}

/** Collects issues keeping only the first ISSUES_LISTED, counting the rest. */
export class IssueList {
  readonly listed: FieldIssue[] = [];
  total = 0;

  add(issue: FieldIssue): void {
    this.total++;
    if (this.listed.length < ISSUES_LISTED) this.listed.push(issue);
  }

  toError(): ValidationError {
    return new ValidationError(this.listed, this.total);
  }
}

/** The message of a list of issues: the first ISSUES_LISTED, then how many more. */
export function describeIssues(issues: readonly FieldIssue[], total = issues.length): string {
  const listed = issues
    .slice(0, ISSUES_LISTED)
    .map((issue) => `${issue.path || "input"}: ${issue.message}`)
    .join("; ");
  const more = total - Math.min(issues.length, ISSUES_LISTED);
  return more > 0 ? `${listed}; and ${more} more` : listed;
}

/** Bad input. Nothing was written. */
export class ValidationError extends RQueueError {
  /** `issues` may hold only the first ones found; `issuesTotal` counts them all. */
  constructor(
    readonly issues: FieldIssue[],
    readonly issuesTotal = issues.length,
  ) {
    super("validation_failed", describeIssues(issues, issuesTotal));
  }

  static fromValibot(issues: readonly v.BaseIssue<unknown>[], pathPrefix = ""): ValidationError {
    return new ValidationError(issues.map((issue) => toFieldIssue(issue, pathPrefix)));
  }
}

export class JobNotFoundError extends RQueueError {
  constructor(readonly jobId: string) {
    super("job_not_found", `job ${jobId} does not exist`);
  }
}

/**
 * The caller's lease on the job is no longer valid: it expired and the job was
 * re-leased (fencing token mismatch), or the job was canceled. Nothing was changed.
 */
export class LeaseLostError extends RQueueError {
  constructor(
    readonly jobId: string,
    readonly state: JobState | undefined,
  ) {
    super("lease_lost", `lease on job ${jobId} is no longer held (job is ${state ?? "gone"})`);
  }
}

/** The requested state change is not allowed from the job's current state. */
export class IllegalTransitionError extends RQueueError {
  constructor(
    readonly jobId: string,
    readonly state: JobState,
    readonly action: string,
    reason?: string,
  ) {
    super("illegal_transition", `cannot ${action} job ${jobId}: ${reason ?? `it is ${state}`}`);
  }
}

/** An admin call named a job type that has no circuit breaker in that queue. */
export class CircuitBreakerNotFoundError extends RQueueError {
  constructor(
    readonly queue: string,
    readonly type: string,
  ) {
    super("circuit_breaker_not_found", `job type ${type} of queue ${queue} has no circuit breaker`);
  }
}

/** Codes the Lua scripts return instead of raising, so one failed item never aborts a batch. */
export const SCRIPT_CODES = {
  ok: 1,
  notFound: -1,
  leaseLost: -2,
  illegalTransition: -3,
  tooManyTypes: -4,
  unknownParent: -5,
  parentFailed: -6,
  hasDependents: -7,
  queueFull: -9,
} as const;

/** Turns a script's per-item failure code into the typed error, in one place. */
export function errorFromScriptCode(
  code: number,
  jobId: string,
  state: string | undefined,
  action: string,
): RQueueError {
  const queue = jobId.slice(0, jobId.lastIndexOf(":"));
  switch (code) {
    case SCRIPT_CODES.notFound:
      return new JobNotFoundError(jobId);
    case SCRIPT_CODES.leaseLost:
      return new LeaseLostError(jobId, (state || undefined) as JobState | undefined);
    case SCRIPT_CODES.illegalTransition:
      return new IllegalTransitionError(jobId, state as JobState, action);
    case SCRIPT_CODES.unknownParent:
      return new ValidationError([{ path: "dependsOn", message: `unknown job ${queue}:${state}` }]);
    case SCRIPT_CODES.parentFailed:
      return new IllegalTransitionError(
        jobId,
        "failed",
        action,
        `its parent ${queue}:${state} is failed (retry the parent with cascade: true instead)`,
      );
    case SCRIPT_CODES.hasDependents:
      return new IllegalTransitionError(
        jobId,
        state as JobState,
        action,
        "jobs that depend on it have not finished yet",
      );
    case SCRIPT_CODES.tooManyTypes:
      return new ValidationError([{ path: "type", message: "too many distinct job types in this queue" }]);
    default:
      return new RQueueError("script_failed", `unexpected script result ${code} for job ${jobId}`);
  }
}

/** Turns a circuit-breaker script's failure code into the typed error. */
export function circuitBreakerErrorFromScriptCode(code: number, queue: string, type: string): RQueueError {
  if (code === SCRIPT_CODES.notFound) return new CircuitBreakerNotFoundError(queue, type);
  return new RQueueError("script_failed", `unexpected script result ${code} for circuit breaker ${type}`);
}

/**
 * Whether Redis refused a script call itself (bad arguments, or a runtime error
 * inside the script) rather than failing to run it (connection lost, failover):
 * sending the same call again cannot succeed.
 */
export function isScriptFault(error: unknown): boolean {
  return (
    error instanceof Error &&
    /rq-invalid-argument|user_script|user_function|Error running script/.test(error.message)
  );
}

/**
 * Jobs were written on the primary, but fewer replicas than required confirmed them
 * in time (Queue's replicaAck): a failover now could discard them. Whether they
 * survive is unknown, so the caller should submit again with the same idempotency
 * key, which finds them if they did and writes them once if they did not.
 */
export class NotReplicatedError extends RQueueError {
  constructor(
    readonly queue: string,
    readonly jobIds: string[],
    readonly replicas: number,
    readonly acknowledged: number,
  ) {
    super(
      "not_replicated",
      `written on the primary of queue ${queue}, but ${acknowledged} of ${replicas} replicas confirmed it in time: ` +
        "a failover could lose it; submit again with the same Idempotency-Key",
    );
  }
}

/**
 * The queue's memory budget (maxQueueBytes) cannot take a submission: the bytes the
 * queue holds plus the submission's would pass it. Nothing was written; submit again
 * once jobs finished and retention trimmed them, or raise the budget.
 */
export class QueueFullError extends RQueueError {
  constructor(
    readonly queue: string,
    readonly maxBytes: number,
    readonly heldBytes: number,
    readonly requestedBytes: number,
  ) {
    super(
      "queue_full",
      `queue ${queue} holds ${heldBytes} bytes of its ${maxBytes}-byte budget (maxQueueBytes); ` +
        `these jobs need ${requestedBytes} more: nothing was written`,
    );
  }
}

/** No schedule with this id in that queue. */
export class ScheduleNotFoundError extends RQueueError {
  constructor(
    readonly queue: string,
    readonly scheduleId: string,
  ) {
    super("schedule_not_found", `schedule ${scheduleId} of queue ${queue} does not exist`);
  }
}

/** Creating a schedule under an id that the queue already has. */
export class ScheduleExistsError extends RQueueError {
  constructor(
    readonly queue: string,
    readonly scheduleId: string,
  ) {
    super(
      "schedule_exists",
      `schedule ${scheduleId} of queue ${queue} exists already: update it, or delete it first`,
    );
  }
}
