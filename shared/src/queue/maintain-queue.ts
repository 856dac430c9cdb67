/**
 * Housekeeping for one queue (maintain-queue.lua), repeated in bounded chunks
 * until there is nothing left: expired leases, expired jobs nobody took, due scheduled
 * jobs, retention by age.
 */
import type { QueueContext } from "./queue-context.js";

export interface MaintenanceResult {
  recovered: number;
  promoted: number;
  trimmed: number;
  /** Jobs canceled because they had not started by their expiry (reason `expired`). */
  expired: number;
  /** Earliest due time of a scheduled job, epoch ms. */
  nextDueAt: number | null;
}

export async function maintainQueue(ctx: QueueContext, chunk = 200): Promise<MaintenanceResult> {
  const total: MaintenanceResult = { recovered: 0, promoted: 0, trimmed: 0, expired: 0, nextDueAt: null };
  for (;;) {
    const [recovered, promoted, trimmed, more, due, expired] = (await ctx.run("maintain-queue", [chunk])) as [
      number,
      number,
      number,
      number,
      number | null,
      number,
    ];
    total.recovered += recovered;
    total.promoted += promoted;
    total.trimmed += trimmed;
    total.expired += expired;
    total.nextDueAt = due ?? null;
    if (more !== 1) return total;
  }
}
