/**
 * GET /v1/types: the job types workers advertise, per queue, with the payload's
 * JSON Schema, the defaults, the live workers (ids) and the counts per state (from
 * the per-type indexes: ZCARDs, never a scan of jobs). Queues are the known ones
 * plus those live workers serve, so a fresh queue's types show before its first job.
 */
import { JOB_STATES, listRegisteredTypes, listWorkers } from "@rqueue/shared";
import { Hono } from "hono";
import type { AppEnv } from "../../app/app-env.js";
import type { AppServices } from "../../app/services.js";
import { requireRole } from "../../http/auth.js";
import { describeRoute } from "../openapi/describe-route.js";

const STATE_COUNTS = {
  type: "object",
  description: "Jobs of the type per state (processing = active, failed = dead-lettered)",
  additionalProperties: { type: "integer" },
};

const REGISTERED_TYPE = {
  type: "object",
  properties: {
    queue: { type: "string" },
    type: { type: "string" },
    schema: {
      description:
        "JSON Schema (draft-07) of the payload, from the handler's valibot schema; null if too large",
      oneOf: [{ type: "object" }, { type: "null" }],
    },
    schemaVersion: { type: "string", description: "Hash of the schema" },
    defaults: {
      type: "object",
      properties: {
        timeoutMs: { type: "integer" },
        maxAttempts: { type: "integer" },
        backoff: { type: "object" },
        maxAttemptsCap: { type: ["integer", "null"] },
        concurrency: { type: ["integer", "null"] },
        isolation: { type: "string", enum: ["main", "thread"] },
      },
    },
    workers: {
      type: "array",
      items: { type: "string" },
      description: "Ids of the live workers advertising it",
    },
    updatedAt: { type: "string", format: "date-time" },
    counts: STATE_COUNTS,
  },
  required: ["queue", "type", "schema", "schemaVersion", "defaults", "workers", "updatedAt", "counts"],
};

export function typesRoutes(services: AppServices): Hono<AppEnv> {
  const router = new Hono<AppEnv>();

  router.get(
    "/",
    describeRoute({
      operationId: "listTypes",
      summary: "Job types workers registered, with payload schema, defaults, workers and counts",
      description:
        "A type is registered once a worker advertised it on the queue (with each heartbeat); `workers` " +
        "lists those whose advertisement is current. Submitting a type no worker ever registered is 422 " +
        "unless the queue allows it (PUT /v1/queues/{queue}/settings); payloads are checked against `schema`.",
      tag: "Types",
      access: "read",
      query: { queue: { description: "Only this queue's types", schema: { type: "string" } } },
      responses: {
        "200": {
          description: "Registered types, by queue then type",
          schema: {
            type: "object",
            properties: { types: { type: "array", items: REGISTERED_TYPE } },
            required: ["types"],
          },
        },
      },
    }),
    requireRole("read"),
    async (c) => {
      const only = c.req.query("queue");
      let names: string[];
      if (only !== undefined) names = [c.var.queues.get(only).name];
      else {
        const [known, workers] = await Promise.all([services.queues.names(), listWorkers(services.redis)]);
        names = [...new Set([...known, ...workers.flatMap((worker) => worker.queues)])].sort();
      }
      const none = Object.fromEntries(JOB_STATES.map((state) => [state, 0]));
      const perQueue = await Promise.all(
        names.map(async (name) => {
          const registered = await listRegisteredTypes(services.redis, name);
          if (registered.length === 0) return [];
          const counts = await c.var.queues.get(name).counts();
          return registered.map((entry) => ({
            queue: name,
            ...entry,
            counts: counts.byType[entry.type] ?? none,
          }));
        }),
      );
      return c.json({ types: perQueue.flat() });
    },
  );

  return router;
}
