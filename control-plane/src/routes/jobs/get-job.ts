/**
 * GET /v1/jobs/:id: the whole job (the id names its queue: one round trip), from
 * the archive once Redis has trimmed it (`source` says which; `?omit=payload,result`
 * leaves the large fields out), and
 * GET /v1/jobs/:id/graph: the job with its parents and children and their states.
 */
import { type Job, JobNotFoundError, parseJobId } from "@rqueue/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../app/app-env.js";
import type { AppServices } from "../../app/services.js";
import type { ArchivedJob } from "../../archive/archived-job.js";
import { resolveJobBlobs } from "../../blobs/offload-request.js";
import { requireRole } from "../../http/auth.js";
import type { RequestQueues } from "../../queues/request-queues.js";
import { describeRoute, errorResponse, JOB_ID_PARAM, ref } from "../openapi/describe-route.js";
import { JobGraphSchema } from "../openapi/response-schemas.js";
import { omitFields, parseOmit } from "./job-fields.js";

/** The job from Redis, else from the archive, so a link to a job keeps working after retention. */
async function readJobAnywhere(
  services: AppServices,
  queues: RequestQueues,
  id: string,
): Promise<(Job & { source: "redis" }) | ArchivedJob> {
  const job = await queues.get(parseJobId(id).queue).getJob(id);
  if (job) return resolveJobBlobs(services.blobs, { ...job, source: "redis" as const });
  const archived = await services.archive?.findJob(id);
  if (archived) return resolveJobBlobs(services.blobs, archived);
  throw new JobNotFoundError(id);
}

export function registerGetJob(router: Hono<AppEnv>, services: AppServices): void {
  router.get(
    "/:id",
    describeRoute({
      operationId: "getJob",
      summary: "Read a job",
      description: "From the archive once Redis has trimmed it; `source` says which.",
      tag: "Jobs",
      access: "read",
      params: { id: JOB_ID_PARAM },
      query: {
        omit: {
          description: "Leave out payload and/or result (comma-separated); `omitted` lists them",
          schema: { type: "string" },
          example: "payload,result",
        },
      },
      responses: {
        "200": { description: "The job", schema: ref("StoredJob") },
        "404": errorResponse("No such job"),
        "422": errorResponse("Not a job id (<queue>:<number>) or a bad omit"),
      },
    }),
    requireRole("read"),
    async (c) => {
      const omit = parseOmit(c.req.query("omit"));
      return c.json(omitFields(await readJobAnywhere(services, c.var.queues, c.req.param("id")), omit));
    },
  );

  router.get(
    "/:id/graph",
    describeRoute({
      operationId: "getJobGraph",
      summary: "A job with its parents and children and their states",
      tag: "Jobs",
      access: "read",
      params: { id: JOB_ID_PARAM },
      responses: {
        "200": { description: "The job and its neighbourhood", schema: JobGraphSchema },
        "404": errorResponse("No such job"),
        "422": errorResponse("Not a job id"),
      },
    }),
    requireRole("read"),
    async (c) => {
      const id = c.req.param("id");
      const graph = await c.var.queues.get(parseJobId(id).queue).getJobGraph(id);
      if (!graph) throw new JobNotFoundError(id);
      return c.json(graph);
    },
  );
}
