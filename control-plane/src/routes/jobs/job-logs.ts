/**
 * GET /v1/jobs/:id/logs: the lines the job's handler wrote with `ctx.log()`,
 * oldest first (at most LIMITS.logLines, so one bounded read); 404 for an unknown job.
 */
import {
  getJobLogs,
  type JobLogsResponse,
  JobNotFoundError,
  LIMITS,
  parseJobId,
  queueKeys,
} from "@rqueue/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../app/app-env.js";
import type { AppServices } from "../../app/services.js";
import { requireRole } from "../../http/auth.js";
import { describeRoute, errorResponse, JOB_ID_PARAM } from "../openapi/describe-route.js";
import { JobLogsSchema } from "../openapi/response-schemas.js";

export function registerJobLogs(router: Hono<AppEnv>, services: AppServices): void {
  router.get(
    "/:id/logs",
    describeRoute({
      operationId: "getJobLogs",
      summary: "The lines the job's handler logged with ctx.log(), oldest first",
      description: `At most ${LIMITS.logLines} lines.`,
      tag: "Jobs",
      access: "read",
      params: { id: JOB_ID_PARAM },
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
      // Read together: an empty log is a 404 only when the job is gone too.
      const [exists, lines] = await Promise.all([
        services.redis.exists(queueKeys(queue).job(seq)),
        getJobLogs(services.redis, id),
      ]);
      if (!exists) throw new JobNotFoundError(id);
      const body: JobLogsResponse = { id, lines };
      return c.json(body);
    },
  );
}
