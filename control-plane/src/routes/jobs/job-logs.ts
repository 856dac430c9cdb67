/**
 * GET /v1/jobs/:id/logs: the lines the job's handler wrote with `ctx.log()`,
 * oldest first, a page at a time (`offset`, `limit`; the job keeps its latest
 * LIMITS.logLines lines, so every read is bounded); 404 for an unknown job.
 */
import {
  getJobLogPage,
  type JobLogsResponse,
  JobNotFoundError,
  LIMITS,
  parseJobId,
  queueKeys,
} from "@rqueue/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../app/app-env.js";
import type { AppServices } from "../../app/services.js";
import { unprocessable } from "../../http/api-error.js";
import { requireRole } from "../../http/auth.js";
import { describeRoute, errorResponse, JOB_ID_PARAM } from "../openapi/describe-route.js";
import { JobLogsSchema } from "../openapi/response-schemas.js";

function pageNumber(
  text: string | undefined,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw unprocessable([{ path: name, message: `must be a whole number from ${min} to ${max}` }]);
  }
  return value;
}

export function registerJobLogs(router: Hono<AppEnv>, services: AppServices): void {
  router.get(
    "/:id/logs",
    describeRoute({
      operationId: "getJobLogs",
      summary: "The lines the job's handler logged with ctx.log(), oldest first",
      description:
        `The job keeps its latest ${LIMITS.logLines} lines (of up to ${LIMITS.logLineChars} characters). ` +
        "Pages: `offset` (default 0) and `limit` (default and at most " +
        `${LIMITS.logLines}); \`nextOffset\` is where the next page starts, null after the last line.`,
      tag: "Jobs",
      access: "read",
      params: { id: JOB_ID_PARAM },
      query: {
        offset: {
          description: "First line of the page (0 = the oldest kept)",
          schema: { type: "integer", minimum: 0 },
        },
        limit: {
          description: `Lines per page (1-${LIMITS.logLines})`,
          schema: { type: "integer", minimum: 1, maximum: LIMITS.logLines },
        },
      },
      responses: {
        "200": { description: "Log lines", schema: JobLogsSchema },
        "404": errorResponse("No such job"),
        "422": errorResponse("Not a job id"),
      },
    }),
    requireRole("read"),
    async (c) => {
      const id = c.req.param("id");
      const { queue, seq } = parseJobId(id);
      const offset = pageNumber(c.req.query("offset"), "offset", 0, LIMITS.logLines, 0);
      const limit = pageNumber(c.req.query("limit"), "limit", 1, LIMITS.logLines, LIMITS.logLines);
      // Read together: an empty log is a 404 only when the job is gone too.
      const [exists, page] = await Promise.all([
        services.redis.exists(queueKeys(queue).job(seq)),
        getJobLogPage(services.redis, id, { offset, limit }),
      ]);
      if (!exists) throw new JobNotFoundError(id);
      const body: JobLogsResponse = { id, ...page };
      return c.json(body);
    },
  );
}
