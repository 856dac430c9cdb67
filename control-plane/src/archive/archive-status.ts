/**
 * The archive's health for metrics: lag per queue (from Redis, so every replica
 * reports the same), and this process's archiver counters. Rendered into the
 * dashboard snapshot and as Prometheus families.
 */
import type { ArchiveStatus } from "@rqueue/shared";
import type { ArchiveService } from "./archive-service.js";

export async function readArchiveStatus(
  archive: ArchiveService,
  queues: readonly string[],
): Promise<ArchiveStatus> {
  const lags = await Promise.all(queues.map((queue) => archive.lag(queue)));
  const counters = archive.counters();
  return {
    database: archive.db.kind,
    lagEntries: lags.reduce((sum, lag) => sum + lag.entries, 0),
    lagSeconds: Math.max(0, ...lags.map((lag) => lag.seconds)),
    queues: Object.fromEntries(
      lags.map((lag) => [lag.queue, { lagEntries: lag.entries, lagSeconds: lag.seconds }]),
    ),
    archiver: counters
      ? {
          archived: counters.archived,
          gone: counters.gone,
          lostEntries: counters.lostEntries,
          rejected: counters.rejected,
        }
      : null,
  };
}

const label = (value: string) => value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/** Prometheus text for the archive's families. */
export function archivePrometheus(status: ArchiveStatus): string {
  const lines: string[] = [];
  const family = (name: string, type: string, help: string) =>
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  family("rqueue_archive_lag_entries", "gauge", "Events stream entries not yet written to the archive.");
  for (const [queue, lag] of Object.entries(status.queues)) {
    lines.push(`rqueue_archive_lag_entries{queue="${label(queue)}"} ${lag.lagEntries}`);
  }
  family("rqueue_archive_lag_seconds", "gauge", "Age of the oldest events stream entry not yet archived.");
  for (const [queue, lag] of Object.entries(status.queues)) {
    lines.push(`rqueue_archive_lag_seconds{queue="${label(queue)}"} ${lag.lagSeconds}`);
  }
  if (status.archiver) {
    const counters: [string, number, string][] = [
      [
        "rqueue_archive_jobs_archived_total",
        status.archiver.archived,
        "Jobs this process wrote to the archive.",
      ],
      [
        "rqueue_archive_jobs_gone_total",
        status.archiver.gone,
        "Final jobs already gone from Redis when archived.",
      ],
      [
        "rqueue_archive_events_lost_total",
        status.archiver.lostEntries,
        "Events trimmed from Redis before the archiver read them.",
      ],
      ["rqueue_archive_jobs_rejected_total", status.archiver.rejected, "Jobs the database refused to store."],
    ];
    for (const [name, value, help] of counters) {
      family(name, "counter", help);
      lines.push(`${name} ${value}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
