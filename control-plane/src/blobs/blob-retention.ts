/**
 * Deletes blobs older than their retention, a whole day at a time, hourly. A
 * blob outlives every job that can point to it: the archive's retention when
 * there is an archive, else a day past Redis's longest retention. Idempotent, so
 * every replica may run it.
 */
import type { BlobStore } from "@rqueue/shared/blobs";
import type { Logger } from "../logging/logger.js";

const DAY_MS = 86_400_000;
const INTERVAL_MS = 3_600_000;

export class BlobRetention {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: BlobStore,
    private readonly retentionDays: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    const run = () => {
      this.runOnce().catch((error: unknown) =>
        this.log.error({ err: (error as Error).message }, "blob retention failed"),
      );
    };
    run();
    this.timer = setInterval(run, INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Deletes the days before today minus the retention; returns how many went. */
  async runOnce(now = Date.now()): Promise<number> {
    const firstKept = new Date(now - this.retentionDays * DAY_MS).toISOString().slice(0, 10);
    const deleted = await this.store.deleteDaysBefore(firstKept);
    if (deleted > 0) this.log.info({ days: deleted, before: firstKept }, "expired blobs deleted");
    return deleted;
  }
}
