/**
 * The schema of a job submission, written once and used by the engine (Queue.add),
 * the HTTP API, the dashboard's form and the OpenAPI document.
 */
import * as v from "valibot";
import { integerIn } from "./integer-in.js";
import { findNonJson, utf8Length } from "./json-value.js";
import { LIMITS } from "./limits.js";
import { hasLoneSurrogate } from "./unicode.js";

export const JOB_TYPE_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** Queue names become part of every key's hash tag and of job ids, so no `{`, `}` or `:`. */
export const QUEUE_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;

export const DEFAULT_QUEUE = "default";
export const PRIORITY = { min: 1, max: 10, default: 5 } as const;

export const JobTypeSchema = v.pipe(
  v.string("must be a string"),
  v.regex(JOB_TYPE_PATTERN, "must match [a-z0-9][a-z0-9._-]{0,63}"),
);

export const QueueNameSchema = v.pipe(
  v.string("must be a string"),
  v.regex(QUEUE_NAME_PATTERN, "must be 1-64 characters of letters, digits, '_', '.', '-'"),
);

export const PrioritySchema = integerIn(PRIORITY.min, PRIORITY.max);

export const BackoffSchema = v.strictObject({
  strategy: v.picklist(["exponential", "fixed"], "must be 'exponential' or 'fixed'"),
  delayMs: integerIn(0, LIMITS.maxBackoffMs),
  maxDelayMs: v.optional(integerIn(0, LIMITS.maxBackoffMs)),
  /**
   * Full jitter (a random delay between 0 and the computed one) spreads retry storms:
   * on by default for exponential backoff, off for fixed (fixed means fixed).
   */
  jitter: v.optional(v.boolean("must be a boolean")),
});
export type BackoffOptions = v.InferOutput<typeof BackoffSchema>;

/** A JSON value with a serialized size limit. */
export function jsonValueSchema(maxBytes: number) {
  return v.pipe(
    v.unknown(),
    v.check((value) => value !== undefined, "is required"),
    v.rawCheck(({ dataset, addIssue }) => {
      const problem = findNonJson(dataset.value, LIMITS.jsonDepth);
      if (problem) addIssue({ message: `must be JSON: ${problem}` });
      else if (utf8Length(JSON.stringify(dataset.value)) > maxBytes) {
        addIssue({ message: `must be at most ${maxBytes} bytes as JSON` });
      }
    }),
  );
}

const epochOf = (runAt: string | number | Date) =>
  runAt instanceof Date ? runAt.getTime() : typeof runAt === "number" ? runAt : Date.parse(runAt);

const RUN_AT_FORMS = 'an ISO 8601 timestamp such as "2026-12-01T09:00:00Z", epoch milliseconds or a Date';
const isRunAt = (value: unknown): value is string | number | Date =>
  value instanceof Date
    ? !Number.isNaN(value.getTime())
    : typeof value === "number"
      ? Number.isInteger(value) && value >= 0
      : typeof value === "string" && !Number.isNaN(Date.parse(value));

// One message per mistake, with an example. The same horizon as delayMs: a run
// time centuries ahead is a mistake, not a plan.
const instantSchema = (what: string) =>
  v.pipe(
    v.custom<string | number | Date>(isRunAt, `must be ${RUN_AT_FORMS}`),
    v.description(`${what}: ${RUN_AT_FORMS}`),
    v.check(
      (at) => epochOf(at) <= Date.now() + LIMITS.maxDelayMs,
      `must be at most ${LIMITS.maxDelayMs / 86_400_000} days ahead, as ${RUN_AT_FORMS}`,
    ),
  );
const RunAtSchema = instantSchema("when to run");
const ExpiresAtSchema = instantSchema("cancel the job (reason `expired`) if it has not started by then");

/** Whether a submission expires before it may start (by the host's clock; Redis judges again). */
function neverStarts(input: {
  delayMs?: number | undefined;
  runAt?: string | number | Date | undefined;
  expireAfterMs?: number | undefined;
  expiresAt?: string | number | Date | undefined;
}): boolean {
  if (input.expiresAt !== undefined && input.expireAfterMs !== undefined) return false; // refused above
  const now = Date.now();
  const start = input.runAt === undefined ? now + (input.delayMs ?? 0) : epochOf(input.runAt);
  const expiry =
    input.expiresAt !== undefined
      ? epochOf(input.expiresAt)
      : input.expireAfterMs !== undefined
        ? now + input.expireAfterMs
        : Number.POSITIVE_INFINITY;
  return expiry <= start;
}

export const DEBOUNCE_MODES = ["debounce", "throttle"] as const;

/**
 * Submissions sharing a key within a window (per queue and job type): `debounce`
 * replaces the waiting job's payload, run time and expiry with the latest ones and
 * restarts the window; `throttle` drops them while the window that the job it let
 * through opened lasts. See README "Expiry, debounce and throttle".
 */
export const DebounceSchema = v.strictObject({
  key: v.pipe(
    v.string("must be a string"),
    v.minLength(1, "must not be empty"),
    v.maxLength(LIMITS.debounceKeyChars, `must be at most ${LIMITS.debounceKeyChars} characters`),
    // Redis stores UTF-8, where every lone surrogate becomes U+FFFD: two keys would collide.
    v.check((key) => !hasLoneSurrogate(key), "must be well-formed Unicode (no lone surrogates)"),
  ),
  windowMs: integerIn(1, LIMITS.maxDelayMs),
  mode: v.optional(v.picklist(DEBOUNCE_MODES, "must be 'debounce' or 'throttle'"), "debounce"),
});
export type DebounceOptions = v.InferInput<typeof DebounceSchema>;

/** A group (tenant) key: well-formed Unicode, no control characters, bounded. */
export const GroupKeySchema = v.pipe(
  v.string("must be a string"),
  v.minLength(1, "must not be empty"),
  v.maxLength(LIMITS.groupKeyChars, `must be at most ${LIMITS.groupKeyChars} characters`),
  v.check((key) => !hasLoneSurrogate(key), "must be well-formed Unicode (no lone surrogates)"),
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  v.check((key) => !/[\u0000-\u001f\u007f]/.test(key), "must not contain control characters"),
);

/** A client-chosen name for a job inside one batch, so other jobs of it can depend on it. */
export const JOB_REF_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
export const MAX_PARENTS = 1_000;

const isParentEntry = (entry: unknown) =>
  typeof entry === "string" &&
  (JOB_REF_PATTERN.test(entry) || /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}:\d{1,16}$/.test(entry));

// The length is checked before any element, and only the first bad entry is named:
// 100,000 bad entries must cost one issue, not 100,000.
export const DependsOnSchema = v.pipe(
  v.custom<string[]>((input) => Array.isArray(input), "must be an array of job ids or refs"),
  v.maxLength(MAX_PARENTS, `must name at most ${MAX_PARENTS} parents`),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed || dataset.issues) return;
    const bad = dataset.value.findIndex((entry) => !isParentEntry(entry));
    if (bad >= 0)
      addIssue({ message: `entry ${bad} must be a job id (<queue>:<number>) or a ref of this batch` });
  }),
  v.check((entries) => new Set(entries).size === entries.length, "must not name a parent twice"),
);

export interface JobInputLimits {
  payloadBytes: number;
}

export function createJobInputSchema(limits: JobInputLimits = { payloadBytes: LIMITS.payloadBytes }) {
  return v.pipe(
    v.strictObject({
      type: JobTypeSchema,
      payload: v.optional(jsonValueSchema(limits.payloadBytes), {}),
      queue: v.optional(QueueNameSchema),
      priority: v.optional(PrioritySchema),
      delayMs: v.optional(integerIn(0, LIMITS.maxDelayMs)),
      runAt: v.optional(RunAtSchema),
      maxAttempts: v.optional(integerIn(1, 100)),
      backoff: v.optional(BackoffSchema),
      timeoutMs: v.optional(integerIn(1, LIMITS.maxTimeoutMs)),
      /** Cancel the job (reason `expired`) if it has not started this long after submission. */
      expireAfterMs: v.optional(integerIn(1, LIMITS.maxDelayMs)),
      expiresAt: v.optional(ExpiresAtSchema),
      debounce: v.optional(DebounceSchema),
      /** Jobs (ids, or refs within a batch) that must complete before this one runs. */
      dependsOn: v.optional(DependsOnSchema),
      /** `fail` (default): fail when a parent fails or is canceled. `ignore`: run once all parents are final. */
      onParentFailure: v.optional(v.picklist(["fail", "ignore"], "must be 'fail' or 'ignore'")),
      /** Names this job within a batch, for other jobs' `dependsOn`. */
      ref: v.optional(
        v.pipe(v.string("must be a string"), v.regex(JOB_REF_PATTERN, "must be 1-64 of A-Z a-z 0-9 _ . -")),
      ),
      idempotencyKey: v.optional(
        v.pipe(
          v.string("must be a string"),
          v.minLength(1, "must not be empty"),
          v.maxLength(LIMITS.idempotencyKeyChars, `must be at most ${LIMITS.idempotencyKeyChars} characters`),
          // Redis stores UTF-8, where every lone surrogate becomes U+FFFD: two keys would collide.
          v.check((key) => !hasLoneSurrogate(key), "must be well-formed Unicode (no lone surrogates)"),
        ),
      ),
      /** The job's group (tenant) for fair queuing and per-group limits: groups take turns. */
      group: v.optional(GroupKeySchema),
      /** A JSON pointer (RFC 6901) into the payload whose string or number is the group, e.g. "/tenantId". */
      groupFrom: v.optional(
        v.pipe(
          v.string("must be a string"),
          v.regex(/^(\/([^~/]|~[01])*)+$/, 'must be a JSON pointer such as "/tenantId"'),
          v.maxLength(256, "must be at most 256 characters"),
        ),
      ),
    }),
    v.forward(
      v.check(
        (input) => input.delayMs === undefined || input.runAt === undefined,
        "give delayMs or runAt, not both",
      ),
      ["runAt"],
    ),
    v.forward(
      v.check(
        (input) => input.group === undefined || input.groupFrom === undefined,
        "give group or groupFrom, not both",
      ),
      ["groupFrom"],
    ),
    v.forward(
      v.check(
        (input) => input.expireAfterMs === undefined || input.expiresAt === undefined,
        "give expireAfterMs or expiresAt, not both",
      ),
      ["expiresAt"],
    ),
    // A job that expires before it may start could never run: a mistake, refused.
    v.forward(
      v.check(
        (input) => input.expiresAt === undefined || !neverStarts(input),
        "must be later than the job may start (now, or its delayMs/runAt): it could never run",
      ),
      ["expiresAt"],
    ),
    v.forward(
      v.check(
        // Below 1 is refused by its own range check already.
        (input) => input.expireAfterMs === undefined || input.expireAfterMs < 1 || !neverStarts(input),
        "must be greater than the job's delay (delayMs or runAt): it could never run",
      ),
      ["expireAfterMs"],
    ),
    // A debounced job is replaced while it waits; parents would make "waiting" mean blocked.
    v.forward(
      v.check(
        (input) => input.debounce === undefined || input.dependsOn === undefined,
        "cannot be combined with dependsOn",
      ),
      ["debounce"],
    ),
  );
}

export const JobInputSchema = createJobInputSchema();
/** What a producer passes to `Queue.add`. */
export type JobInput = v.InferInput<typeof JobInputSchema>;
