/**
 * Every few seconds, samples each queue's backlog and running jobs and seals its
 * finished minutes and hours into history (shared `rollupQueueStats`). Idempotent
 * in the engine, so every replica may run it; skipped while Redis is down; a
 * failure is logged once per streak.
 */
import { type RedisClient, rollupQueueStats } from "@rqueue/shared";
import type { Logger } from "../logging/logger.js";
import type { QueueRegistry } from "../queues/queue-registry.js";
import type { RedisBreaker } from "../redis/redis-breaker.js";
import { PeriodicRound } from "./periodic-round.js";

export const STATS_ROLLUP_INTERVAL_MS = 2_000;

export class StatsRollupLoop {
  private readonly rounds: PeriodicRound;
  private failing = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly queues: QueueRegistry,
    private readonly breaker: RedisBreaker,
    private readonly log: Logger,
    intervalMs = STATS_ROLLUP_INTERVAL_MS,
  ) {
    this.rounds = new PeriodicRound(() => this.runOnce(), intervalMs);
  }

  start(): void {
    // The first round at once: a fresh process has a sample to show right away.
    this.rounds.start(0);
  }

  stop(): Promise<void> {
    return this.rounds.stop();
  }

  /** One round over every queue; false when skipped because Redis is down. */
  async runOnce(): Promise<boolean> {
    if (this.breaker.blockedReason()) return false;
    try {
      const names = await this.queues.names();
      await Promise.all(
        names.map(async (name) => {
          const gauges = await this.queues.get(name).gauges();
          await rollupQueueStats(this.redis, name, {
            backlog: gauges.backlog,
            processing: gauges.counts.processing,
          });
        }),
      );
      if (this.failing) this.log.info("stats rollup recovered");
      this.failing = false;
      return true;
    } catch (error) {
      if (!this.failing) this.log.warn({ err: error }, "stats rollup failed; retrying");
      this.failing = true;
      return false;
    }
  }
}
