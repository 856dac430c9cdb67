/**
 * GET /v1/jobs/:id: the whole job (the id names its queue: one round trip), and
 * GET /v1/jobs/:id/graph: the job with its parents and children and their states.
 */
import { type Job, JobNotFoundError, parseJobId } from "@rqueue/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../app/app-env.js";
import type { AppServices } from "../../app/services.js";
import { requireRole } from "../../http/auth.js";

/** Reads a job by id: 422 for a malformed id, 404 for an unknown one. */
export function readJob(services: AppServices, id: string): Promise<Job> {
  return services.queues.get(parseJobId(id).queue).getJobOrThrow(id);
}

export function registerGetJob(router: Hono<AppEnv>, services: AppServices): void {
  router.get("/:id", requireRole("read"), async (c) => c.json(await readJob(services, c.req.param("id"))));

  router.get("/:id/graph", requireRole("read"), async (c) => {
    const id = c.req.param("id");
    const graph = await services.queues.get(parseJobId(id).queue).getJobGraph(id);
    if (!graph) throw new JobNotFoundError(id);
    return c.json(graph);
  });
}
