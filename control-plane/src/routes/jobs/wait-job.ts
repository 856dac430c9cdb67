/**
 * GET /v1/jobs/:id/wait?timeoutMs=: long poll until the job is final (completed,
 * failed, canceled) or the timeout passes, then 200 with the job as it is. Woken by
 * the queue's event stream (see JobEvents: a tail shared with GET /v1/events; past
 * the per-process cap of tails, a re-read every second). A job deleted while
 * waited on answers 404.
 */
import { isFinalState, parseJobId } from "@rqueue/shared";
import type { Hono } from "hono";
import * as v from "valibot";
import type { AppEnv } from "../../app/app-env.js";
import type { AppServices } from "../../app/services.js";
import { unprocessable } from "../../http/api-error.js";
import { requireRole } from "../../http/auth.js";
import { describeRoute, errorResponse, JOB_ID_PARAM, ref } from "../openapi/describe-route.js";
import { toFieldIssues } from "./job-input.js";

export const WAIT_MAX_MS = 60_000;
export const WAIT_DEFAULT_MS = 30_000;

const WaitQuerySchema = v.strictObject({
  timeoutMs: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d+$/, "must be a whole number of milliseconds"),
      v.transform(Number),
      v.maxValue(WAIT_MAX_MS, `must be at most ${WAIT_MAX_MS}`),
    ),
    String(WAIT_DEFAULT_MS),
  ),
});

export function registerWaitJob(router: Hono<AppEnv>, services: AppServices): void {
  router.get(
    "/:id/wait",
    describeRoute({
      operationId: "waitForJob",
      summary: "Long-poll until the job is final or the timeout passes",
      description: `Waits ${WAIT_DEFAULT_MS} ms by default, at most ${WAIT_MAX_MS} ms; then answers with the job as it is.`,
      tag: "Jobs",
      access: "read",
      params: { id: JOB_ID_PARAM },
      query: {
        timeoutMs: {
          description: "Longest wait in ms",
          schema: { type: "integer", minimum: 0, maximum: WAIT_MAX_MS, default: WAIT_DEFAULT_MS },
        },
      },
      responses: {
        "200": { description: "The job, final or as it is at the timeout", schema: ref("Job") },
        "404": errorResponse("No such job (or it was deleted while waited on)"),
        "422": errorResponse("Not a job id, or a bad timeoutMs"),
      },
    }),
    requireRole("read"),
    async (c) => {
      const parsedQuery = v.safeParse(WaitQuerySchema, c.req.query());
      if (!parsedQuery.success) throw unprocessable(toFieldIssues(parsedQuery.issues));
      const id = c.req.param("id");
      const { queue: name, seq } = parseJobId(id);
      const queue = c.var.queues.get(name);
      const deadline = Date.now() + parsedQuery.output.timeoutMs;
      // Unknown jobs answer 404 before anything is watched: a watch holds a blocking
      // Redis connection per queue, which a flood of made-up ids must not open.
      const first = await queue.getJobOrThrow(id);
      if (isFinalState(first.state) || parsedQuery.output.timeoutMs <= 0) return c.json(first);
      const watch = await services.events.watch(name, seq);
      try {
        for (;;) {
          const job = await queue.getJobOrThrow(id);
          const remaining = deadline - Date.now();
          if (isFinalState(job.state) || remaining <= 0) return c.json(job);
          const result = await watch.next(remaining);
          if (result !== "changed") return c.json(await queue.getJobOrThrow(id));
        }
      } finally {
        watch.close();
      }
    },
  );
}
