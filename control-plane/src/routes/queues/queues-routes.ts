/**
 * Queues: GET /v1/queues (per queue: counts per state, paused, backlog, oldest
 * pending age, circuit breakers), and the admin actions pause, resume and
 * resetting a job type's circuit breaker.
 */
import { getCircuitBreakers, resetCircuitBreaker } from "@rqueue/shared";
import { Hono } from "hono";
import type { AppEnv } from "../../app/app-env.js";
import type { AppServices } from "../../app/services.js";
import { requireRole } from "../../http/auth.js";
import { describeRoute, errorResponse, jsonSchemaOf } from "../openapi/describe-route.js";
import { QueueGaugesSchema } from "../openapi/response-schemas.js";

const QUEUE_PARAM = { description: "Queue name", example: "default" };
const PAUSED = {
  type: "object",
  properties: { name: { type: "string" }, paused: { type: "boolean" } },
  required: ["name", "paused"],
};

export function queuesRoutes(services: AppServices): Hono<AppEnv> {
  const router = new Hono<AppEnv>();

  router.get(
    "/",
    describeRoute({
      operationId: "listQueues",
      summary: "Queues with counts per state, paused, backlog, oldest pending age and circuit breakers",
      tag: "Queues",
      access: "read",
      responses: {
        "200": {
          description: "Every known queue",
          schema: {
            type: "object",
            properties: { queues: { type: "array", items: jsonSchemaOf(QueueGaugesSchema) } },
            required: ["queues"],
          },
        },
      },
    }),
    requireRole("read"),
    async (c) => {
      const names = await services.queues.names();
      const queues = await Promise.all(
        names.map(async (name) => {
          const [gauges, breakers] = await Promise.all([
            c.var.queues.get(name).gauges(),
            getCircuitBreakers(services.redis, name),
          ]);
          return { ...gauges, breakers };
        }),
      );
      return c.json({ queues });
    },
  );

  router.post(
    "/:queue/pause",
    describeRoute({
      operationId: "pauseQueue",
      summary: "Pause a queue: workers stop taking its jobs",
      tag: "Queues",
      access: "admin",
      params: { queue: QUEUE_PARAM },
      responses: { "200": { description: "Paused", schema: PAUSED }, "404": errorResponse("No such queue") },
    }),
    requireRole("admin"),
    async (c) => {
      const queue = await c.var.queues.getExisting(c.req.param("queue"));
      await queue.pause();
      return c.json({ name: queue.name, paused: true });
    },
  );

  router.post(
    "/:queue/resume",
    describeRoute({
      operationId: "resumeQueue",
      summary: "Resume a paused queue",
      tag: "Queues",
      access: "admin",
      params: { queue: QUEUE_PARAM },
      responses: { "200": { description: "Resumed", schema: PAUSED }, "404": errorResponse("No such queue") },
    }),
    requireRole("admin"),
    async (c) => {
      const queue = await c.var.queues.getExisting(c.req.param("queue"));
      await queue.resume();
      return c.json({ name: queue.name, paused: false });
    },
  );

  router.post(
    "/:queue/breakers/:type/reset",
    describeRoute({
      operationId: "resetCircuitBreaker",
      summary: "Close a job type's circuit breaker now",
      tag: "Queues",
      access: "admin",
      params: { queue: QUEUE_PARAM, type: { description: "Job type", example: "email.send" } },
      responses: {
        "200": { description: "The breaker after the reset", schema: { type: ["object", "null"] } },
        "404": errorResponse("No such queue or breaker"),
      },
    }),
    requireRole("admin"),
    async (c) => {
      const queue = await c.var.queues.getExisting(c.req.param("queue"));
      const type = c.req.param("type");
      await resetCircuitBreaker(services.redis, queue.name, type);
      const breaker = (await getCircuitBreakers(services.redis, queue.name)).find((b) => b.type === type);
      return c.json(breaker ?? null);
    },
  );

  return router;
}
