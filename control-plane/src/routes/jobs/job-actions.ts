/**
 * Admin actions on one job: cancel (any non-final state), retry (failed or
 * canceled → pending, attempts reset; `{"cascade": true}` re-arms dependents that
 * failed because of it), delete (final states only). Each answers with the job as
 * it is afterwards (delete: 204); an illegal transition is 409.
 */
import { parseJobId } from "@rqueue/shared";
import type { Context, Hono } from "hono";
import * as v from "valibot";
import type { AppEnv } from "../../app/app-env.js";
import { unprocessable } from "../../http/api-error.js";
import { requireRole } from "../../http/auth.js";
import { readJsonObject } from "../../http/read-json.js";
import { describeRoute, errorResponse, JOB_ID_PARAM, ref } from "../openapi/describe-route.js";
import { toFieldIssues } from "./job-input.js";

/** `cascade`: also re-arm the dependents that failed because this job failed. */
const RetryOptionsSchema = v.strictObject({
  cascade: v.optional(
    v.pipe(
      v.boolean("must be a boolean"),
      v.description("also re-arm dependents that failed because of this job"),
    ),
  ),
});

export function registerJobActions(router: Hono<AppEnv>): void {
  const queueOf = (c: Context<AppEnv>, id: string) => c.var.queues.get(parseJobId(id).queue);

  router.post(
    "/:id/cancel",
    describeRoute({
      operationId: "cancelJob",
      summary: "Cancel a job that is not final",
      description:
        "A processing job's worker is told at its next lease renewal; its late result is discarded.",
      tag: "Jobs",
      access: "admin",
      params: { id: JOB_ID_PARAM },
      responses: {
        "200": { description: "The canceled job", schema: ref("Job") },
        "404": errorResponse("No such job"),
        "409": errorResponse("Already final"),
        "422": errorResponse("Not a job id"),
      },
    }),
    requireRole("admin"),
    async (c) => {
      const id = c.req.param("id");
      const queue = queueOf(c, id);
      await queue.cancel(id);
      return c.json(await queue.getJobOrThrow(id));
    },
  );

  router.post(
    "/:id/retry",
    describeRoute({
      operationId: "retryJob",
      summary: "Send a failed or canceled job back to pending, attempts reset",
      description:
        "Blocked instead while a parent is unfinished. A retried parent re-arms its failed dependents with cascade.",
      tag: "Jobs",
      access: "admin",
      params: { id: JOB_ID_PARAM },
      body: { schema: RetryOptionsSchema, required: false },
      responses: {
        "200": { description: "The job, pending (or blocked) again", schema: ref("Job") },
        "404": errorResponse("No such job"),
        "409": errorResponse("Not failed or canceled, or a parent is still failed"),
      },
    }),
    requireRole("admin"),
    async (c) => {
      const id = c.req.param("id");
      const parsed = v.safeParse(RetryOptionsSchema, (await readJsonObject(c, { optional: true })) ?? {});
      if (!parsed.success) throw unprocessable(toFieldIssues(parsed.issues));
      const queue = queueOf(c, id);
      await queue.retry(id, { cascade: parsed.output.cascade ?? false });
      return c.json(await queue.getJobOrThrow(id));
    },
  );

  router.delete(
    "/:id",
    describeRoute({
      operationId: "deleteJob",
      summary: "Delete a finished job",
      tag: "Jobs",
      access: "admin",
      params: { id: JOB_ID_PARAM },
      responses: {
        "204": { description: "Deleted" },
        "404": errorResponse("No such job"),
        "409": errorResponse("The job is not final"),
        "422": errorResponse("Not a job id"),
      },
    }),
    requireRole("admin"),
    async (c) => {
      await queueOf(c, c.req.param("id")).remove(c.req.param("id"));
      return c.body(null, 204);
    },
  );
}
