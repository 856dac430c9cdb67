/**
 * GET /metrics in the Prometheus text format: job counts per state, backlog and
 * oldest pending age, lifetime counters, wait/run time histograms and workers.
 *
 * The engine keeps latency histograms per minute for an hour, not forever, so this
 * process turns them into true cumulative histograms: each scrape adds the minutes
 * completed since the previous one. They start at zero when the process starts
 * (Prometheus treats that as a counter reset), and lag by up to a minute.
 */
import { listWorkers, type Queue } from "@rqueue/shared";
import type { AppServices } from "../../app/services.js";
import { archivePrometheus, readArchiveStatus } from "../../archive/archive-status.js";
import { addInto, cumulativeBuckets, PROMETHEUS_BOUNDS_MS } from "./histograms.js";

const MINUTE = 60_000;
/** Minute keys expire after an hour: catching up further back would read nothing. */
const MAX_CATCH_UP_MINUTES = 60;

interface Accumulated {
  nextMinute: number;
  wait: Map<number, number>;
  run: Map<number, number>;
}

export class LatencyAccumulator {
  private readonly byQueue = new Map<string, Accumulated>();

  async update(queue: Queue, now: number): Promise<Accumulated> {
    const currentMinute = Math.floor(now / MINUTE);
    let entry = this.byQueue.get(queue.name);
    if (!entry) {
      entry = { nextMinute: currentMinute, wait: new Map(), run: new Map() };
      this.byQueue.set(queue.name, entry);
    }
    const first = Math.max(entry.nextMinute, currentMinute - MAX_CATCH_UP_MINUTES);
    const minutes = Array.from({ length: Math.max(0, currentMinute - first) }, (_, i) => first + i);
    // Claim the minutes before awaiting, so a concurrent scrape cannot add them twice.
    const claimedFrom = entry.nextMinute;
    entry.nextMinute = Math.max(entry.nextMinute, currentMinute);
    let stats: Awaited<ReturnType<Queue["stats"]>>[];
    try {
      stats = await Promise.all(minutes.map((minute) => queue.stats(1, minute * MINUTE + MINUTE - 1)));
    } catch (error) {
      entry.nextMinute = Math.min(entry.nextMinute, claimedFrom);
      throw error;
    }
    for (const minuteStats of stats) {
      addInto(entry.wait, minuteStats.histograms.wait);
      addInto(entry.run, minuteStats.histograms.run);
    }
    return entry;
  }
}

const escapeLabel = (value: string) =>
  value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

class TextBuilder {
  private readonly lines: string[] = [];
  family(name: string, type: "gauge" | "counter" | "histogram", help: string): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  }
  sample(name: string, labels: Record<string, string>, value: number): void {
    const text = Object.entries(labels)
      .map(([key, v]) => `${key}="${escapeLabel(v)}"`)
      .join(",");
    this.lines.push(`${name}${text ? `{${text}}` : ""} ${value}`);
  }
  toString(): string {
    return `${this.lines.join("\n")}\n`;
  }
}

function histogram(out: TextBuilder, name: string, queue: string, data: Map<number, number>): void {
  const { counts, total } = cumulativeBuckets(data);
  PROMETHEUS_BOUNDS_MS.forEach((boundMs, i) => {
    out.sample(`${name}_bucket`, { queue, le: String(boundMs / 1000) }, counts[i] ?? 0);
  });
  out.sample(`${name}_bucket`, { queue, le: "+Inf" }, total);
  out.sample(`${name}_count`, { queue }, total);
}

export async function renderPrometheus(
  services: AppServices,
  accumulator: LatencyAccumulator,
  now = Date.now(),
): Promise<string> {
  const names = await services.queues.names();
  const [perQueue, workers] = await Promise.all([
    Promise.all(
      names.map(async (name) => {
        const queue = services.queues.get(name);
        const [gauges, stats, latency] = await Promise.all([
          queue.gauges(),
          queue.stats(1),
          accumulator.update(queue, now),
        ]);
        return { name, gauges, counters: stats.counters, latency };
      }),
    ),
    listWorkers(services.redis),
  ]);
  const out = new TextBuilder();

  out.family("rqueue_jobs", "gauge", "Jobs per queue and state.");
  for (const q of perQueue) {
    for (const [state, n] of Object.entries(q.gauges.counts))
      out.sample("rqueue_jobs", { queue: q.name, state }, n);
  }
  type Row = (typeof perQueue)[number];
  const gauges: [string, string, (q: Row) => number][] = [
    ["rqueue_backlog", "Pending plus due scheduled jobs.", (q) => q.gauges.backlog],
    [
      "rqueue_oldest_pending_age_seconds",
      "Age of the longest-waiting pending job.",
      (q) => q.gauges.oldestPendingAgeSeconds,
    ],
    ["rqueue_queue_paused", "1 when the queue is paused.", (q) => (q.gauges.paused ? 1 : 0)],
  ];
  for (const [name, help, read] of gauges) {
    out.family(name, "gauge", help);
    for (const q of perQueue) out.sample(name, { queue: q.name }, read(q));
  }
  for (const counter of ["added", "completed", "failed", "retried", "canceled"] as const) {
    const name = `rqueue_jobs_${counter}_total`;
    out.family(name, "counter", `Jobs ${counter} since the queue was created.`);
    for (const q of perQueue) out.sample(name, { queue: q.name }, q.counters[counter]);
  }
  out.family("rqueue_job_wait_seconds", "histogram", "Time from pending to started.");
  for (const q of perQueue) histogram(out, "rqueue_job_wait_seconds", q.name, q.latency.wait);
  out.family("rqueue_job_run_seconds", "histogram", "Time from started to finished.");
  for (const q of perQueue) histogram(out, "rqueue_job_run_seconds", q.name, q.latency.run);

  out.family("rqueue_workers", "gauge", "Registered workers by health.");
  for (const status of ["healthy", "stale"] as const) {
    out.sample("rqueue_workers", { status }, workers.filter((w) => w.status === status).length);
  }
  out.family("rqueue_worker_active_jobs", "gauge", "Jobs running on healthy workers.");
  out.sample(
    "rqueue_worker_active_jobs",
    {},
    workers.filter((w) => w.status === "healthy").reduce((sum, w) => sum + w.activeJobs, 0),
  );
  const archive = services.archive ? archivePrometheus(await readArchiveStatus(services.archive, names)) : "";
  return out.toString() + archive;
}
