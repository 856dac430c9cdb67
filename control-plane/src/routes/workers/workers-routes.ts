/**
 * GET /v1/workers: the worker registry with each worker's health (healthy or
 * stale by missed heartbeats), active jobs, counters, and host or ECS task.
 */
import { listWorkers } from "@rqueue/shared";
import { Hono } from "hono";
import type { AppEnv } from "../../app/app-env.js";
import type { AppServices } from "../../app/services.js";
import { requireRole } from "../../http/auth.js";
import { describeRoute } from "../openapi/describe-route.js";

export function workersRoutes(services: AppServices): Hono<AppEnv> {
  const router = new Hono<AppEnv>();
  router.get(
    "/",
    describeRoute({
      operationId: "listWorkers",
      summary: "Workers with health, active jobs, counters and host or ECS task",
      tag: "Workers",
      access: "read",
      responses: {
        "200": {
          description: "The registry and a summary",
          schema: {
            type: "object",
            properties: {
              workers: { type: "array", items: { type: "object" } },
              summary: {
                type: "object",
                properties: {
                  total: { type: "integer" },
                  healthy: { type: "integer" },
                  stale: { type: "integer" },
                  activeJobs: { type: "integer" },
                },
              },
            },
            required: ["workers", "summary"],
          },
        },
      },
    }),
    requireRole("read"),
    async (c) => {
      const workers = await listWorkers(services.redis);
      const healthy = workers.filter((worker) => worker.status === "healthy").length;
      return c.json({
        workers,
        summary: {
          total: workers.length,
          healthy,
          stale: workers.length - healthy,
          activeJobs: workers.reduce((sum, worker) => sum + worker.activeJobs, 0),
        },
      });
    },
  );
  return router;
}
