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
  StatsHistoryQuerySchema,
} from "@rqueue/shared";
import { Hono } from "hono";
import * as v from "valibot";
import type { AppEnv } from "../../app/app-env.js";
import type { AppServices } from "../../app/services.js";
import { unprocessable } from "../../http/api-error.js";
import { requireRole } from "../../http/auth.js";
import { toFieldIssues } from "../jobs/job-input.js";

export function statsRoutes(services: AppServices): Hono<AppEnv> {
  const router = new Hono<AppEnv>();
  router.get("/history", requireRole("read"), async (c) => {
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
  });
  return router;
}
