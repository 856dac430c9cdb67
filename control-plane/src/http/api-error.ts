/**
 * The one error shape clients see, and the exception that carries it through Hono:
 * `{"error": {"code", "message", "issues": [{"path", "message"}]}}`.
 */
import type { FieldIssue } from "@rqueue/shared";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export interface ErrorBody {
  error: { code: string; message: string; issues: FieldIssue[] };
}

export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly issues: FieldIssue[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(status, { message });
  }
}

export const errorBody = (code: string, message: string, issues: FieldIssue[] = []): ErrorBody => ({
  error: { code, message, issues },
});

export const unprocessable = (issues: FieldIssue[]) =>
  new ApiError(
    422,
    "validation_failed",
    issues.map((issue) => `${issue.path || "input"}: ${issue.message}`).join("; "),
    issues,
  );
