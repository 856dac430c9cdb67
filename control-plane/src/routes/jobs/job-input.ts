/**
 * Validation of job submissions against the shared schema, with messages that name
 * every bad field in API terms: each unknown field (valibot stops at the first),
 * missing ones as "is required", paths dotted (`backoff.delayMs`, `jobs.3.priority`).
 */
import {
  createJobInputSchema,
  type FieldIssue,
  issuePathSegment,
  type JobInput,
  toFieldIssue,
} from "@rqueue/shared";
import * as v from "valibot";
import { unprocessable } from "../../http/api-error.js";

const JobInputSchema = createJobInputSchema();
const KNOWN_FIELDS = new Set(Object.keys(JobInputSchema.pipe[0].entries));

/** Valibot issues as API issues: dotted paths, "is required" for missing fields, no input quoted. */
export function toFieldIssues(issues: readonly v.BaseIssue<unknown>[], prefix = ""): FieldIssue[] {
  return issues.map((issue) => toFieldIssue(issue, prefix));
}

function unknownFieldIssues(body: object, prefix: string): FieldIssue[] {
  return Object.keys(body)
    .filter((key) => !KNOWN_FIELDS.has(key))
    .map((key) => ({
      path: [prefix, issuePathSegment(key)].filter(Boolean).join("."),
      message: "unknown field",
    }));
}

/** The strict object's own unknown-key issue: reported by unknownFieldIssues instead, for every key. */
const isUnknownKeyIssue = (issue: v.BaseIssue<unknown>) =>
  issue.type === "strict_object" && issue.received !== "undefined" && issue.path?.length === 1;

/** Checks one submission; `prefix` is e.g. `jobs.3` inside a batch. Returns the issues, or the input. */
export function checkJobInput(
  body: unknown,
  prefix = "",
): { input: JobInput; issues: null } | { input: null; issues: FieldIssue[] } {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return { input: null, issues: [{ path: prefix, message: "must be a JSON object" }] };
  }
  const parsed = v.safeParse(JobInputSchema, body);
  if (parsed.success) return { input: parsed.output as JobInput, issues: null };
  const issues = toFieldIssues(
    parsed.issues.filter((issue) => !isUnknownKeyIssue(issue)),
    prefix,
  );
  return { input: null, issues: [...issues, ...unknownFieldIssues(body, prefix)] };
}

export function parseJobInput(body: unknown): JobInput {
  const checked = checkJobInput(body);
  if (checked.issues) throw unprocessable(checked.issues);
  return checked.input;
}
