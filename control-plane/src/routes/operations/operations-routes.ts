/**
 * Bulk operations by filter (admin): POST /v1/operations {action, filter} counts
 * what the filter holds, starts the operation in this process and answers 202
 * at once; GET /v1/operations lists the recent ones, GET /v1/operations/:id
 * follows one, POST /v1/operations/:id/cancel stops it after its current chunk.
 */
import {
  getOperation,
  listOperations,
  OperationInputSchema,
  requestOperationCancel,
  startBulkOperation,
} from "@rqueue/shared";
import { Hono } from "hono";
import * as v from "valibot";
import type { AppEnv } from "../../app/app-env.js";
import type { AppServices } from "../../app/services.js";
import { ApiError, unprocessable } from "../../http/api-error.js";
import { requireRole } from "../../http/auth.js";
import { readJsonObject } from "../../http/read-json.js";
import { toFieldIssues } from "../jobs/job-input.js";
import { describeRoute, errorResponse, ref } from "../openapi/describe-route.js";

/** Operations one control-plane process runs at once; more are refused with 429. */
const MAX_RUNNING = 4;

export function operationsRoutes(services: AppServices): Hono<AppEnv> {
  const router = new Hono<AppEnv>();
  let running = 0;

  router.post(
    "/",
    describeRoute({
      operationId: "startOperation",
      summary: "Start a bulk retry, cancel or delete of every job a filter selects",
      description: "Runs in chunks of 100 on the server; follow it with GET /v1/operations/{id}.",
      tag: "Operations",
      access: "admin",
      body: { schema: ref("OperationInput"), required: true },
      responses: {
        "202": { description: "Started", schema: ref("Operation") },
        "404": errorResponse("No such queue"),
        "422": errorResponse("Bad action or filter"),
        "429": errorResponse(`More than ${MAX_RUNNING} operations running in this control plane`),
      },
    }),
    requireRole("admin"),
    async (c) => {
      const parsed = v.safeParse(OperationInputSchema, await readJsonObject(c));
      if (!parsed.success) throw unprocessable(toFieldIssues(parsed.issues));
      const { action, filter } = parsed.output;
      if (running >= MAX_RUNNING) {
        throw new ApiError(429, "too_many_operations", `at most ${MAX_RUNNING} operations run at once`);
      }
      const queue = await c.var.queues.getExisting(filter.queue);
      const gauges = await queue.gauges();
      const estimated = filter.type
        ? (gauges.countsByType[filter.type]?.[filter.state] ?? 0)
        : gauges.counts[filter.state];
      const started = await startBulkOperation(services.redis, c.var.queues.outliving(queue.name), {
        action,
        filter,
        estimated,
        createdBy: c.get("principal").name,
      });
      running++;
      void started.done.then((operation) => {
        running--;
        services.log.info(
          { operation: operation.id, status: operation.status, applied: operation.applied },
          "bulk operation ended",
        );
      });
      return c.json(started.operation, 202);
    },
  );

  router.get(
    "/",
    describeRoute({
      operationId: "listOperations",
      summary: "Recent operations, newest first",
      tag: "Operations",
      access: "read",
      responses: {
        "200": {
          description: "Up to 20",
          schema: { type: "object", properties: { operations: { type: "array", items: ref("Operation") } } },
        },
      },
    }),
    requireRole("read"),
    async (c) => c.json({ operations: await listOperations(services.redis) }),
  );

  router.get(
    "/:id",
    describeRoute({
      operationId: "getOperation",
      summary: "One operation's progress",
      tag: "Operations",
      access: "read",
      params: { id: { description: "Operation id" } },
      responses: {
        "200": { description: "The operation", schema: ref("Operation") },
        "404": errorResponse("No such operation"),
      },
    }),
    requireRole("read"),
    async (c) => {
      const operation = await getOperation(services.redis, c.req.param("id"));
      if (!operation)
        throw new ApiError(404, "operation_not_found", `operation ${c.req.param("id")} does not exist`);
      return c.json(operation);
    },
  );

  router.post(
    "/:id/cancel",
    describeRoute({
      operationId: "cancelOperation",
      summary: "Stop a running operation after its current chunk",
      tag: "Operations",
      access: "admin",
      params: { id: { description: "Operation id" } },
      responses: {
        "200": { description: "The operation", schema: ref("Operation") },
        "404": errorResponse("No such operation"),
        "409": errorResponse("The operation is not running"),
      },
    }),
    requireRole("admin"),
    async (c) => {
      const id = c.req.param("id");
      const operation = await getOperation(services.redis, id);
      if (!operation) throw new ApiError(404, "operation_not_found", `operation ${id} does not exist`);
      if (!(await requestOperationCancel(services.redis, id))) {
        throw new ApiError(409, "illegal_transition", `operation ${id} is ${operation.status}`);
      }
      return c.json((await getOperation(services.redis, id)) ?? operation);
    },
  );

  return router;
}
