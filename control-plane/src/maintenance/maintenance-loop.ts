/**
 * Runs every known queue's `maintain()` on a timer: recovers expired leases,
 * promotes due scheduled jobs, trims by retention age. The engine makes it
 * idempotent, so every replica may run it; rounds never overlap within a process,
 * are skipped while Redis is down, and failures are logged once per streak.
 */
import type { Logger } from "../logging/logger.js";
import type { QueueRegistry } from "../queues/queue-registry.js";
import type { RedisBreaker } from "../redis/redis-breaker.js";

export interface MaintenanceTotals {
  queues: number;
  recovered: number;
  promoted: number;
  trimmed: number;
}

export class MaintenanceLoop {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<unknown> | undefined;
  private stopped = false;
  private failing = false;

  constructor(
    private readonly queues: QueueRegistry,
    private readonly breaker: RedisBreaker,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.intervalMs <= 0) return;
    const loop = async () => {
      this.current = this.runOnce().catch(() => undefined);
      await this.current;
      if (!this.stopped) {
        this.timer = setTimeout(loop, this.intervalMs);
        this.timer.unref();
      }
    };
    this.timer = setTimeout(loop, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current;
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
