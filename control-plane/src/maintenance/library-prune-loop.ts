/**
 * Once an hour (and a minute after start), records this version's script libraries
 * as in use and deletes from Redis the libraries of versions nothing has run for a
 * day (shared `pruneLibraries`): each deploy would otherwise leave its predecessor's
 * Lua on every master for good. Idempotent, so every replica may run it; skipped
 * while Redis is down; off together with maintenance (RQ_MAINTAIN_INTERVAL_MS=0).
 */
import { type PruneResult, pruneLibraries, type RedisClient } from "@rqueue/shared";
import type { Logger } from "../logging/logger.js";
import type { RedisBreaker } from "../redis/redis-breaker.js";
import { PeriodicRound } from "./periodic-round.js";

export const LIBRARY_PRUNE_INTERVAL_MS = 60 * 60 * 1_000;
const FIRST_ROUND_AFTER_MS = 60_000;

export class LibraryPruneLoop {
  private readonly rounds: PeriodicRound;

  constructor(
    private readonly redis: RedisClient,
    private readonly breaker: RedisBreaker,
    private readonly log: Logger,
    intervalMs = LIBRARY_PRUNE_INTERVAL_MS,
  ) {
    this.rounds = new PeriodicRound(() => this.runOnce(), intervalMs);
  }

  start(): void {
    this.rounds.start(FIRST_ROUND_AFTER_MS);
  }

  stop(): Promise<void> {
    return this.rounds.stop();
  }

  /** One round; null when skipped because Redis is down or the round failed (logged). */
  async runOnce(now?: number): Promise<PruneResult | null> {
    if (this.breaker.blockedReason()) return null;
    try {
      const result = await pruneLibraries(this.redis, now === undefined ? {} : { now });
      if (result.deleted.length > 0) {
        this.log.info(
          { libraries: result.deleted },
          "deleted the script libraries of versions no longer running",
        );
      }
      return result;
    } catch (error) {
      this.log.warn(
        { err: (error as Error).message },
        "pruning old script libraries failed; retrying next round",
      );
      return null;
    }
  }
}
