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
import { buildMetricsSnapshot } from "./metrics-snapshot.js";
import { renderPrometheus } from "./prometheus.js";
import { SnapshotCache } from "./snapshot-cache.js";

const SnapshotQuerySchema = v.strictObject({ queue: v.optional(QueueNameSchema) });

export function snapshotRoutes(services: AppServices, cacheMs = 1_000): Hono<AppEnv> {
  const router = new Hono<AppEnv>();
  const cache = new SnapshotCache(cacheMs);
  router.get("/", requireRole("read"), async (c) => {
    const parsed = v.safeParse(SnapshotQuerySchema, c.req.query());
    if (!parsed.success) throw unprocessable(toFieldIssues(parsed.issues));
    const queue = parsed.output.queue;
    const { body, etag } = await cache.get(queue ?? "", () => buildMetricsSnapshot(services, queue));
    c.header("ETag", etag);
    c.header("Cache-Control", "private, max-age=1");
    if (c.req.header("if-none-match") === etag) return c.body(null, 304);
    c.header("Content-Type", "application/json");
    return c.body(body);
  });
  return router;
}

export function prometheusRoutes(services: AppServices): Hono<AppEnv> {
  const router = new Hono<AppEnv>();
  router.get("/", requireRole("metrics"), async (c) => {
    const text = await renderPrometheus(services);
    return c.body(text, 200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
  });
  return router;
}
