/**
 * The /v1/jobs resource: submit (one or a batch), list, read, wait, and the
 * admin actions. Static paths (/batch) are registered before /:id.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../app/app-env.js";
import type { AppServices } from "../../app/services.js";
import { registerGetJob } from "./get-job.js";
import { registerJobActions } from "./job-actions.js";
import { registerJobLogs } from "./job-logs.js";
import { registerListJobs } from "./list-jobs.js";
import { registerReplayJob } from "./replay-job.js";
import { registerSubmitBatch } from "./submit-batch.js";
import { registerSubmitJob } from "./submit-job.js";
import { registerWaitJob } from "./wait-job.js";

export function jobsRoutes(services: AppServices): Hono<AppEnv> {
  const router = new Hono<AppEnv>();
  registerSubmitJob(router, services);
  registerSubmitBatch(router, services);
  registerListJobs(router);
  registerWaitJob(router, services);
  registerJobLogs(router, services);
  registerGetJob(router, services);
  registerJobActions(router);
  registerReplayJob(router, services);
  return router;
}
