/**
 * Admin actions on one job: cancel (any non-final state), retry (failed or
 * canceled → pending, attempts reset; `{"cascade": true}` re-arms dependents that
 * failed because of it), delete (final states only). Each answers with the job as
 * it is afterwards (delete: 204); an illegal transition is 409.
 */
import { parseJobId } from "@rqueue/shared";
import type { Hono } from "hono";
import * as v from "valibot";
import type { AppEnv } from "../../app/app-env.js";
import type { AppServices } from "../../app/services.js";
import { unprocessable } from "../../http/api-error.js";
import { requireRole } from "../../http/auth.js";
import { readJsonObject } from "../../http/read-json.js";
import { toFieldIssues } from "./job-input.js";

/** `cascade`: also re-arm the dependents that failed because this job failed. */
const RetryOptionsSchema = v.strictObject({ cascade: v.optional(v.boolean("must be a boolean")) });

export function registerJobActions(router: Hono<AppEnv>, services: AppServices): void {
  const queueOf = (id: string) => services.queues.get(parseJobId(id).queue);

  router.post("/:id/cancel", requireRole("admin"), async (c) => {
    const id = c.req.param("id");
    const queue = queueOf(id);
    await queue.cancel(id);
    return c.json(await queue.getJobOrThrow(id));
  });

  router.post("/:id/retry", requireRole("admin"), async (c) => {
    const id = c.req.param("id");
    const parsed = v.safeParse(RetryOptionsSchema, (await readJsonObject(c, { optional: true })) ?? {});
    if (!parsed.success) throw unprocessable(toFieldIssues(parsed.issues));
    const queue = queueOf(id);
    await queue.retry(id, { cascade: parsed.output.cascade ?? false });
    return c.json(await queue.getJobOrThrow(id));
  });

  router.delete("/:id", requireRole("admin"), async (c) => {
    await queueOf(c.req.param("id")).remove(c.req.param("id"));
    return c.body(null, 204);
  });
}
