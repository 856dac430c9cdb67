/**
 * Bulk actions over a queue's dead-lettered (failed) jobs, optionally of one type:
 * POST /v1/dead-letter/retry (JSON body {queue, type?}) and
 * DELETE /v1/dead-letter?queue=&type=. Both answer how many jobs they touched.
 * GET /v1/dead-letter/groups?queue= groups the newest failed jobs by error.
 */
import { JobTypeSchema, QueueNameSchema, readDeadLetterGroups } from "@rqueue/shared";
import { Hono } from "hono";
import * as v from "valibot";
import type { AppEnv } from "../../app/app-env.js";
import type { AppServices } from "../../app/services.js";
import { unprocessable } from "../../http/api-error.js";
import { requireRole } from "../../http/auth.js";
import { readJsonObject } from "../../http/read-json.js";
import { toFieldIssues } from "../jobs/job-input.js";
import { describeRoute, errorResponse, ref } from "../openapi/describe-route.js";

const FilterSchema = v.strictObject({ queue: QueueNameSchema, type: v.optional(JobTypeSchema) });

function parseFilter(input: unknown) {
  const parsed = v.safeParse(FilterSchema, input);
  if (!parsed.success) throw unprocessable(toFieldIssues(parsed.issues));
  return parsed.output;
}

export function deadLetterRoutes(services: AppServices): Hono<AppEnv> {
  const router = new Hono<AppEnv>();

  // Grouped by type and last error message, from the newest failed jobs (bounded).
  router.get(
    "/groups",
    describeRoute({
      operationId: "listDeadLetterGroups",
      summary: "The newest failed jobs (up to 500) grouped by type and last error message",
      tag: "Dead letters",
      access: "read",
      query: { queue: { description: "Queue name", required: true, schema: { type: "string" } } },
      responses: {
        "200": {
          description: "Groups, largest first; `complete` is false when more jobs failed than were examined",
          schema: {
            type: "object",
            properties: {
              queue: { type: "string" },
              groups: { type: "array", items: ref("DeadLetterGroup") },
              examined: { type: "integer" },
              totalFailed: { type: "integer" },
              complete: { type: "boolean" },
            },
          },
        },
        "404": errorResponse("No such queue"),
        "422": errorResponse("Bad queue name"),
      },
    }),
    requireRole("read"),
    async (c) => {
      const parsed = v.safeParse(v.strictObject({ queue: QueueNameSchema }), c.req.query());
      if (!parsed.success) throw unprocessable(toFieldIssues(parsed.issues));
      const queue = await c.var.queues.getExisting(parsed.output.queue);
      return c.json(await readDeadLetterGroups(services.redis, queue));
    },
  );

  router.post(
    "/retry",
    describeRoute({
      operationId: "retryDeadLetters",
      summary: "Retry every dead-lettered job of a queue (and type)",
      tag: "Dead letters",
      access: "admin",
      body: { schema: FilterSchema, required: true },
      responses: {
        "200": {
          description: "How many",
          schema: {
            type: "object",
            properties: {
              queue: { type: "string" },
              type: { type: ["string", "null"] },
              retried: { type: "integer" },
            },
          },
        },
        "404": errorResponse("No such queue"),
      },
    }),
    requireRole("admin"),
    async (c) => {
      const filter = parseFilter(await readJsonObject(c));
      const queue = await c.var.queues.getExisting(filter.queue);
      const retried = await queue.retryDeadLetter({ type: filter.type });
      return c.json({ queue: filter.queue, type: filter.type ?? null, retried });
    },
  );

  router.delete(
    "/",
    describeRoute({
      operationId: "purgeDeadLetters",
      summary: "Delete every dead-lettered job of a queue (and type)",
      tag: "Dead letters",
      access: "admin",
      query: {
        queue: { description: "Queue name", required: true, schema: { type: "string" } },
        type: { description: "Only this job type", schema: { type: "string" } },
      },
      responses: {
        "200": {
          description: "How many",
          schema: {
            type: "object",
            properties: {
              queue: { type: "string" },
              type: { type: ["string", "null"] },
              deleted: { type: "integer" },
            },
          },
        },
        "404": errorResponse("No such queue"),
        "422": errorResponse("Bad queue or type"),
      },
    }),
    requireRole("admin"),
    async (c) => {
      const filter = parseFilter(c.req.query());
      const queue = await c.var.queues.getExisting(filter.queue);
      const deleted = await queue.purgeDeadLetter({ type: filter.type });
      return c.json({ queue: filter.queue, type: filter.type ?? null, deleted });
    },
  );

  return router;
}
