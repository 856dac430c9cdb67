/**
 * Housekeeping for one queue (maintain-queue.lua), repeated in bounded chunks
 * until there is nothing left: expired leases, due scheduled jobs, retention by age.
 */
import type { QueueContext } from "./queue-context.js";

export interface MaintenanceResult {
  recovered: number;
  promoted: number;
  trimmed: number;
  /** Earliest due time of a scheduled job, epoch ms. */
  nextDueAt: number | null;
}

export async function maintainQueue(ctx: QueueContext, chunk = 200): Promise<MaintenanceResult> {
  const total: MaintenanceResult = { recovered: 0, promoted: 0, trimmed: 0, nextDueAt: null };
  for (;;) {
    const [recovered, promoted, trimmed, more, due] = (await ctx.run("maintain-queue", [chunk])) as [
      number,
      number,
      number,
      number,
      number | null,
    ];
    total.recovered += recovered;
    total.promoted += promoted;
    total.trimmed += trimmed;
    total.nextDueAt = due ?? null;
    if (more !== 1) return total;
  }
}
