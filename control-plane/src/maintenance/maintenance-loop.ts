/**
 * Runs every known queue's `maintain()` on a timer: recovers expired leases,
 * promotes due scheduled jobs, trims by retention age. The engine makes it
 * idempotent, so every replica may run it; rounds never overlap within a process,
 * are skipped while Redis is down, and failures are logged once per streak.
 */
import type { Logger } from "../logging/logger.js";
import type { QueueRegistry } from "../queues/queue-registry.js";
import type { RedisBreaker } from "../redis/redis-breaker.js";
import { PeriodicRound } from "./periodic-round.js";

export interface MaintenanceTotals {
  queues: number;
  recovered: number;
  promoted: number;
  trimmed: number;
}

export class MaintenanceLoop {
  private readonly rounds: PeriodicRound;
  private failing = false;

  constructor(
    private readonly queues: QueueRegistry,
    private readonly breaker: RedisBreaker,
    intervalMs: number,
    private readonly log: Logger,
  ) {
    this.rounds = new PeriodicRound(() => this.runOnce(), intervalMs);
  }

  start(): void {
    this.rounds.start();
  }

  stop(): Promise<void> {
    return this.rounds.stop();
  }

  /** One round over every queue; resolves null when skipped because Redis is down. */
  async runOnce(): Promise<MaintenanceTotals | null> {
    if (this.breaker.blockedReason()) return null;
    try {
      const names = await this.queues.names();
      const results = await Promise.all(names.map((name) => this.queues.get(name).maintain()));
      const totals = results.reduce<MaintenanceTotals>(
        (sum, r) => ({
          queues: sum.queues + 1,
          recovered: sum.recovered + r.recovered,
          promoted: sum.promoted + r.promoted,
          trimmed: sum.trimmed + r.trimmed,
        }),
        { queues: 0, recovered: 0, promoted: 0, trimmed: 0 },
      );
      if (totals.recovered > 0) this.log.warn(totals, "recovered jobs whose lease expired");
      if (this.failing) this.log.info("queue maintenance is working again");
      this.failing = false;
      return totals;
    } catch (error) {
      if (!this.failing) this.log.error({ err: (error as Error).message }, "queue maintenance failed");
      this.failing = true;
      throw error;
    }
  }
}
