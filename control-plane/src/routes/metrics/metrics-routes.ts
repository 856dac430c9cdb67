/**
 * GET /v1/metrics (the dashboard snapshot: cached for a second, ETag/304) and
 * GET /metrics (Prometheus text; any key, including the scrape-only `metrics` role).
 */
import { QueueNameSchema } from "@rqueue/shared";
import { Hono } from "hono";
import * as v from "valibot";
import type { AppEnv } from "../../app/app-env.js";
import type { AppServices } from "../../app/services.js";
import { unprocessable } from "../../http/api-error.js";
import { requireRole } from "../../http/auth.js";
import { toFieldIssues } from "../jobs/job-input.js";
import { describeRoute, errorResponse, jsonSchemaOf } from "../openapi/describe-route.js";
import { SnapshotQueueSchema } from "../openapi/response-schemas.js";
import { buildMetricsSnapshot } from "./metrics-snapshot.js";
import { renderPrometheus } from "./prometheus.js";
import { SnapshotCache } from "./snapshot-cache.js";

const SnapshotQuerySchema = v.strictObject({ queue: v.optional(QueueNameSchema) });

export function snapshotRoutes(services: AppServices, cacheMs = 1_000): Hono<AppEnv> {
  const router = new Hono<AppEnv>();
  const cache = new SnapshotCache(cacheMs);
  router.get(
    "/",
    describeRoute({
      operationId: "getMetricsSnapshot",
      summary: "Dashboard snapshot: counts, throughput, latency percentiles, backlog, workers, scaling, ECS",
      description: "Cached for 1 s; send If-None-Match with the ETag for a 304.",
      tag: "Metrics",
      access: "read",
      query: { queue: { description: "Only this queue", schema: { type: "string" } } },
      headers: { "If-None-Match": { description: "The ETag of a previous answer" } },
      responses: {
        "200": {
          description: "The snapshot",
          schema: {
            type: "object",
            properties: {
              generatedAt: { type: "string" },
              queues: { type: "object", additionalProperties: jsonSchemaOf(SnapshotQueueSchema) },
            },
          },
          headers: { ETag: { description: "Identifies this snapshot" } },
        },
        "304": { description: "Unchanged since the ETag sent" },
        "422": errorResponse("Bad queue name"),
      },
    }),
    requireRole("read"),
    async (c) => {
      const parsed = v.safeParse(SnapshotQuerySchema, c.req.query());
      if (!parsed.success) throw unprocessable(toFieldIssues(parsed.issues));
      const queue = parsed.output.queue;
      const { body, etag } = await cache.get(queue ?? "", () =>
        buildMetricsSnapshot(services, c.var.queues, queue),
      );
      c.header("ETag", etag);
      c.header("Cache-Control", "private, max-age=1");
      if (c.req.header("if-none-match") === etag) return c.body(null, 304);
      c.header("Content-Type", "application/json");
      return c.body(body);
    },
  );
  return router;
}

export function prometheusRoutes(services: AppServices): Hono<AppEnv> {
  const router = new Hono<AppEnv>();
  router.get(
    "/",
    describeRoute({
      operationId: "getPrometheusMetrics",
      summary: "Prometheus text format",
      description: "Any key will do, including a scrape-only `metrics` key.",
      tag: "Metrics",
      access: "metrics",
      responses: {
        "200": { description: "Metrics", contentType: "text/plain", schema: { type: "string" } },
      },
    }),
    requireRole("metrics"),
    async (c) => {
      const text = await renderPrometheus(services, c.var.queues);
      return c.body(text, 200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
    },
  );
  return router;
}
