/**
 * The schema of a job submission, written once and used by the engine (Queue.add),
 * the HTTP API, the dashboard's form and the OpenAPI document.
 */
import * as v from "valibot";
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

const integerIn = (min: number, max: number) =>
  v.pipe(
    v.number("must be a number"),
    v.integer("must be an integer"),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
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
const RunAtSchema = v.pipe(
  v.custom<string | number | Date>(isRunAt, `must be ${RUN_AT_FORMS}`),
  v.description(`when to run: ${RUN_AT_FORMS}`),
  v.check(
    (runAt) => epochOf(runAt) <= Date.now() + LIMITS.maxDelayMs,
    `must be at most ${LIMITS.maxDelayMs / 86_400_000} days ahead, as ${RUN_AT_FORMS}`,
  ),
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
    }),
    v.forward(
      v.check(
        (input) => input.delayMs === undefined || input.runAt === undefined,
        "give delayMs or runAt, not both",
      ),
      ["runAt"],
    ),
  );
}

export const JobInputSchema = createJobInputSchema();
/** What a producer passes to `Queue.add`. */
export type JobInput = v.InferInput<typeof JobInputSchema>;
