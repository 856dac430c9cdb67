/**
 * Records the archiver's acknowledged position of one queue (scripts/archive-progress.lua),
 * which holds back retention and events trimming for what is not archived yet
 * (scripts/includes/archive-hold.lua): while an archiver serves the queue, Redis forgets
 * a finished job or an events entry only once it is in the archive, within the bounds below.
 */
import type { RedisClient } from "../redis/connection.js";
import { type QueueSettingsInput, resolveSettings } from "../settings.js";
import { createQueueContext } from "./queue-context.js";

export interface ArchiveHoldLimits {
  /** The events stream's length cap while archived; entries past it are lost (and counted). */
  streamMaxLen: number;
  /** Finished jobs per state and type that retention keeps at most for the archive. */
  holdMaxJobs: number;
  /** How long the hold outlives the last archiver that refreshed it. */
  holdTtlMs: number;
}

export const DEFAULT_ARCHIVE_HOLD: ArchiveHoldLimits = {
  streamMaxLen: 1_000_000,
  holdMaxJobs: 250_000,
  holdTtlMs: 3 * 24 * 3_600_000,
};

export interface ArchiveProgress {
  /** Redis time (ms) before which every finished job of the queue is archived. */
  archivedBeforeMs: number;
  /** Acknowledged entries this call trimmed from the events stream. */
  trimmedEntries: number;
}

/** Null when the queue's stream or the group does not exist yet. */
export async function recordArchiveProgress(
  redis: RedisClient,
  queue: string,
  group: string,
  limits: ArchiveHoldLimits = DEFAULT_ARCHIVE_HOLD,
  /** The queue's settings as its producers and workers use them (events_max_len). */
  settingsInput: QueueSettingsInput = {},
): Promise<ArchiveProgress | null> {
  const settings = resolveSettings(settingsInput);
  const ctx = createQueueContext(redis, queue, settings);
  try {
    const [archivedBeforeMs, trimmedEntries] = (await ctx.run("archive-progress", [
      group,
      Math.max(limits.streamMaxLen, settings.eventsMaxLen),
      limits.holdMaxJobs,
      limits.holdTtlMs,
    ])) as [number, number];
    return { archivedBeforeMs, trimmedEntries };
  } catch (error) {
    if (error instanceof Error && error.message.includes("rq-no-group")) return null;
    throw error;
  }
}
