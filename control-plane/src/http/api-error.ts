/**
 * The one error shape clients see, and the exception that carries it through Hono:
 * `{"error": {"code", "message", "issues": [{"path", "message"}], "issuesTotal"?, ...details}}`,
 * where details are a few named fields some codes add (429 queue_full: queue, maxBytes, bytes).
 * At most ISSUES_LISTED issues are listed; `issuesTotal` is there when more were found,
 * so a hostile body cannot make the answer larger than a few kilobytes.
 */
import { describeIssues, type FieldIssue, ISSUES_LISTED } from "@rqueue/shared";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export type ErrorDetails = Record<string, string | number>;

export interface ErrorBody {
  error: {
    code: string;
    message: string;
    issues: FieldIssue[];
    issuesTotal?: number;
    [detail: string]: unknown;
  };
}

export class ApiError extends HTTPException {
  /** How many issues were found; `issues` may list only the first ones. */
  issuesTotal: number;

  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly issues: FieldIssue[] = [],
    readonly headers: Record<string, string> = {},
    readonly details: ErrorDetails = {},
  ) {
    super(status, { message });
    this.issuesTotal = issues.length;
  }
}

export const errorBody = (
  code: string,
  message: string,
  issues: FieldIssue[] = [],
  total = issues.length,
  details: ErrorDetails = {},
): ErrorBody => ({
  error: {
    ...details,
    code,
    message,
    issues: issues.length > ISSUES_LISTED ? issues.slice(0, ISSUES_LISTED) : issues,
    ...(total > Math.min(issues.length, ISSUES_LISTED) ? { issuesTotal: total } : {}),
  },
});

export function unprocessable(issues: FieldIssue[], total = issues.length): ApiError {
  const error = new ApiError(422, "validation_failed", describeIssues(issues, total), issues);
  error.issuesTotal = total;
  return error;
}
