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

const FilterSchema = v.strictObject({ queue: QueueNameSchema, type: v.optional(JobTypeSchema) });

function parseFilter(input: unknown) {
  const parsed = v.safeParse(FilterSchema, input);
  if (!parsed.success) throw unprocessable(toFieldIssues(parsed.issues));
  return parsed.output;
}

export function deadLetterRoutes(services: AppServices): Hono<AppEnv> {
  const router = new Hono<AppEnv>();

  // Grouped by type and last error message, from the newest failed jobs (bounded).
  router.get("/groups", requireRole("read"), async (c) => {
    const parsed = v.safeParse(v.strictObject({ queue: QueueNameSchema }), c.req.query());
    if (!parsed.success) throw unprocessable(toFieldIssues(parsed.issues));
    const queue = await services.queues.getExisting(parsed.output.queue);
    return c.json(await readDeadLetterGroups(services.redis, queue));
  });

  router.post("/retry", requireRole("admin"), async (c) => {
    const filter = parseFilter(await readJsonObject(c));
    const queue = await services.queues.getExisting(filter.queue);
    const retried = await queue.retryDeadLetter({ type: filter.type });
    return c.json({ queue: filter.queue, type: filter.type ?? null, retried });
  });

  router.delete("/", requireRole("admin"), async (c) => {
    const filter = parseFilter(c.req.query());
    const queue = await services.queues.getExisting(filter.queue);
    const deleted = await queue.purgeDeadLetter({ type: filter.type });
    return c.json({ queue: filter.queue, type: filter.type ?? null, deleted });
  });

  return router;
}
