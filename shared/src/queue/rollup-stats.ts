/**
 * Rolls a queue's statistics up into history (see scripts/rollup-stats.lua):
 * samples the backlog and running jobs, seals finished minutes (kept 24 h) and
 * hours (kept 30 days). Called every few seconds by the control plane; idempotent.
 */
import type { RedisClient } from "../redis/connection.js";
import { resolveSettings } from "../settings.js";
import { createQueueContext, type QueueContext } from "./queue-context.js";

export interface RollupResult {
  minutesSealed: number;
  hoursSealed: number;
}

export async function rollupStats(
  ctx: QueueContext,
  gauges: { backlog: number; processing: number },
): Promise<RollupResult> {
  const [minutesSealed, hoursSealed] = (await ctx.run("rollup-stats", [
    Math.max(0, Math.round(gauges.backlog)),
    Math.max(0, Math.round(gauges.processing)),
  ])) as [number, number];
  return { minutesSealed, hoursSealed };
}

/** `rollupStats` for a queue by name. */
export function rollupQueueStats(
  redis: RedisClient,
  queue: string,
  gauges: { backlog: number; processing: number },
): Promise<RollupResult> {
  return rollupStats(createQueueContext(redis, queue, resolveSettings()), gauges);
}
