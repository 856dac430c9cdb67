/**
 * Fires the due repeatable and cron schedules of every queue that has schedules,
 * on a timer (RQ_SCHEDULE_INTERVAL_MS). Every replica runs it: the engine claims
 * each due time atomically in Redis (fire-schedules.ts), so two replicas never
 * start a due time twice, and a replica that dies mid-round leaves nothing for
 * the others to lose. Skipped while Redis is down; a failure is logged once per streak.
 */
import { type FireTotals, listScheduleQueues, QueueSchedules, type RedisClient } from "@rqueue/shared";
import type { Logger } from "../logging/logger.js";
import type { QueueRegistry } from "../queues/queue-registry.js";
import type { RedisBreaker } from "../redis/redis-breaker.js";
import { PeriodicRound } from "./periodic-round.js";

export class ScheduleLoop {
  private readonly rounds: PeriodicRound;
  private readonly schedules = new Map<string, QueueSchedules>();
  private failing = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly queues: QueueRegistry,
    private readonly breaker: RedisBreaker,
    intervalMs: number,
    private readonly log: Logger,
  ) {
    this.rounds = new PeriodicRound(() => this.runOnce(), intervalMs);
  }

  start(): void {
    this.rounds.start(0);
  }

  stop(): Promise<void> {
    return this.rounds.stop();
  }

  /** One round over every queue with schedules; null when skipped because Redis is down. */
  async runOnce(): Promise<FireTotals | null> {
    if (this.breaker.blockedReason()) return null;
    try {
      const names = await listScheduleQueues(this.redis);
      const results = await Promise.all(names.map((name) => this.of(name).fireDue()));
      const totals = results.reduce(
        (sum, r) => ({
          schedules: sum.schedules + r.schedules,
          fired: sum.fired + r.fired,
          misfired: sum.misfired + r.misfired,
          overlapSkipped: sum.overlapSkipped + r.overlapSkipped,
          stale: sum.stale + r.stale,
          failed: sum.failed + r.failed,
        }),
        { schedules: 0, fired: 0, misfired: 0, overlapSkipped: 0, stale: 0, failed: 0 },
      );
      if (totals.misfired > 0) this.log.info(totals, "schedules skipped due times (misfire policy)");
      if (totals.failed > 0) this.log.warn(totals, "schedules could not start some runs (see lastError)");
      if (this.failing) this.log.info("schedule firing is working again");
      this.failing = false;
      return totals;
    } catch (error) {
      if (!this.failing) this.log.error({ err: (error as Error).message }, "schedule firing failed");
      this.failing = true;
      throw error;
    }
  }

  private of(name: string): QueueSchedules {
    let schedules = this.schedules.get(name);
    if (!schedules) {
      schedules = new QueueSchedules(this.queues.get(name));
      this.schedules.set(name, schedules);
    }
    return schedules;
  }
}
