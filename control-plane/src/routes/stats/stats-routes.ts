/**
 * GET /v1/stats/history?window=15m|1h|24h|30d&queue=: backlog, throughput and
 * wait/run percentiles over the window, one point per minute (per hour for 30
 * days), from the rollups. All queues merged when no queue is named. Cost: one
 * key per hour (or day) of the window per queue, never per job.
 */
import {
  DEFAULT_QUEUE,
  mergeStatsHistories,
  readQueueStatsHistory,
  STATS_WINDOWS,
  StatsHistoryQuerySchema,
} from "@rqueue/shared";
import { Hono } from "hono";
import * as v from "valibot";
import type { AppEnv } from "../../app/app-env.js";
import type { AppServices } from "../../app/services.js";
import { unprocessable } from "../../http/api-error.js";
import { requireRole } from "../../http/auth.js";
import { toFieldIssues } from "../jobs/job-input.js";
import { describeRoute, errorResponse, ref } from "../openapi/describe-route.js";

export function statsRoutes(services: AppServices): Hono<AppEnv> {
  const router = new Hono<AppEnv>();
  router.get(
    "/history",
    describeRoute({
      operationId: "getStatsHistory",
      summary: "Throughput, backlog and wait/run percentiles over a window",
      description: "Per minute (15m, 1h, 24h) or per hour (30d).",
      tag: "Metrics",
      access: "read",
      query: {
        window: {
          description: "Window",
          schema: { type: "string", enum: [...STATS_WINDOWS], default: "1h" },
        },
        queue: {
          description: "One queue; all queues merged when left out (percentiles: the slowest queue's)",
          schema: { type: "string" },
        },
      },
      responses: {
        "200": {
          description: "Oldest first, one point per step",
          schema: {
            type: "object",
            properties: {
              window: { type: "string" },
              stepSeconds: { type: "integer", enum: [60, 3600] },
              points: { type: "array", items: ref("StatsPoint") },
            },
          },
        },
        "422": errorResponse("Bad window or queue"),
      },
    }),
    requireRole("read"),
    async (c) => {
      const parsed = v.safeParse(StatsHistoryQuerySchema, c.req.query());
      if (!parsed.success) throw unprocessable(toFieldIssues(parsed.issues));
      const { window, queue } = parsed.output;
      const known = queue ? [queue] : await services.queues.names();
      // No queue yet: the default queue's (empty) history, so charts have their time axis.
      const names = known.length > 0 ? known : [DEFAULT_QUEUE];
      const histories = await Promise.all(
        names.map((name) => readQueueStatsHistory(services.redis, name, window)),
      );
      return c.json(histories.length === 1 ? histories[0] : mergeStatsHistories(histories, window));
    },
  );
  return router;
}
