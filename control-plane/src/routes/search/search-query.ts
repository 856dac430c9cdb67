/**
 * The query string of GET /v1/search, checked with valibot (one schema, reused by
 * the OpenAPI document) plus the open-ended field filters: `payload.<path>=<value>`
 * and `result.<path>=<value>`, where the value is JSON when it parses as JSON
 * (`5`, `true`, `"5"`, `{"a":1}`) and a plain string otherwise (`pro`).
 */
import {
  FINAL_STATES,
  type FieldIssue,
  JobTypeSchema,
  type JsonValue,
  QueueNameSchema,
} from "@rqueue/shared";
import * as v from "valibot";
import type { FieldEquality, SearchQuery } from "../../archive/search-jobs.js";
import { decodeCursor } from "../../archive/search-jobs.js";
import { unprocessable } from "../../http/api-error.js";
import { toFieldIssues } from "../jobs/job-input.js";

export const SEARCH_PAGE_MAX = 200;
const FIELD_FILTERS_MAX = 10;
const FIELD_DEPTH_MAX = 8;
const VALUE_MAX_CHARS = 1_024;
const SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;

const wholeNumber = v.pipe(v.string(), v.regex(/^\d+$/, "must be a whole number"), v.transform(Number));
const isoTime = v.pipe(
  v.string(),
  v.check(
    (text) =>
      /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) && !Number.isNaN(Date.parse(text)),
    "must be an ISO 8601 time",
  ),
  v.transform((text) => new Date(text).toISOString()),
);
const jsonObject = v.pipe(
  v.string(),
  v.maxLength(VALUE_MAX_CHARS, `must be at most ${VALUE_MAX_CHARS} characters`),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    try {
      const value = JSON.parse(dataset.value) as unknown;
      if (typeof value === "object" && value !== null) return value as JsonValue;
    } catch {}
    addIssue({ message: "must be a JSON object or array" });
    return NEVER;
  }),
);

/** The fixed parameters; `payload.*` and `result.*` are checked by parseSearchQuery. */
export const SearchParamsSchema = v.strictObject({
  queue: v.optional(QueueNameSchema),
  type: v.optional(JobTypeSchema),
  state: v.optional(
    v.picklist(FINAL_STATES as readonly string[], `must be one of ${FINAL_STATES.join(", ")}`),
  ),
  from: v.optional(v.pipe(isoTime, v.description("finished at or after"))),
  to: v.optional(v.pipe(isoTime, v.description("finished before"))),
  error: v.optional(
    v.pipe(
      v.string(),
      v.trim(),
      v.nonEmpty("must not be empty"),
      v.maxLength(200, "must be at most 200 characters"),
      v.description('full text over attempt errors: words, "a phrase", -excluded, or'),
    ),
  ),
  payloadContains: v.optional(v.pipe(jsonObject, v.description("JSON the payload contains (jsonb @>)"))),
  resultContains: v.optional(v.pipe(jsonObject, v.description("JSON the result contains (jsonb @>)"))),
  limit: v.optional(
    v.pipe(
      wholeNumber,
      v.minValue(1, "must be at least 1"),
      v.maxValue(SEARCH_PAGE_MAX, `must be at most ${SEARCH_PAGE_MAX}`),
    ),
    "50",
  ),
  cursor: v.optional(
    v.pipe(v.string(), v.nonEmpty("must not be empty"), v.maxLength(512, "is not a cursor")),
  ),
});

function fieldValue(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

/** Parses the whole query string; throws 422 naming every wrong parameter. */
export function parseSearchQuery(params: URLSearchParams): SearchQuery {
  const fixed: Record<string, string> = {};
  const issues: FieldIssue[] = [];
  const payload: FieldEquality[] = [];
  const result: FieldEquality[] = [];
  for (const [name, value] of params) {
    const dot = name.indexOf(".");
    const root = dot > 0 ? name.slice(0, dot) : "";
    if (root === "payload" || root === "result") {
      const path = name.slice(dot + 1).split(".");
      if (path.length > FIELD_DEPTH_MAX || !path.every((segment) => SEGMENT.test(segment))) {
        issues.push({
          path: name,
          message: `must name a field: up to ${FIELD_DEPTH_MAX} segments of letters, digits, '_', '-'`,
        });
      } else if (value.length > VALUE_MAX_CHARS) {
        issues.push({ path: name, message: `must be at most ${VALUE_MAX_CHARS} characters` });
      } else {
        (root === "payload" ? payload : result).push({ path, value: fieldValue(value) });
      }
    } else if (name in fixed) {
      issues.push({ path: name, message: "must be given once" });
    } else {
      fixed[name] = value;
    }
  }
  if (payload.length + result.length > FIELD_FILTERS_MAX) {
    issues.push({ path: "payload", message: `at most ${FIELD_FILTERS_MAX} field filters` });
  }
  const parsed = v.safeParse(SearchParamsSchema, fixed);
  if (!parsed.success) issues.push(...toFieldIssues(parsed.issues));
  const cursor = parsed.success && parsed.output.cursor ? decodeCursor(parsed.output.cursor) : undefined;
  if (cursor === null) issues.push({ path: "cursor", message: "is not a cursor this API issued" });
  if (issues.length > 0 || !parsed.success) throw unprocessable(issues);
  const { payloadContains, resultContains, cursor: _text, ...rest } = parsed.output;
  return {
    ...rest,
    ...(payload.length > 0 ? { payload } : {}),
    ...(result.length > 0 ? { result } : {}),
    ...(payloadContains !== undefined ? { payloadContains: [payloadContains] } : {}),
    ...(resultContains !== undefined ? { resultContains: [resultContains] } : {}),
    ...(cursor ? { cursor } : {}),
  };
}
