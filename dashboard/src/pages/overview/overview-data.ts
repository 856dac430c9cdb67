/**
 * The Overview's data: the metrics snapshot (counts, backlog, workers, scaling),
 * the queues (open circuit breakers) and the history of the chosen window, each
 * polled; and the series the charts draw from the history.
 */
import type { MetricsSnapshot, StatsHistory, StatsWindow } from "@rqueue/shared/contract";
import type { Accessor } from "solid-js";
import { api } from "../../lib/api.js";
import { createPoll } from "../../lib/poll.js";
import { pollMs } from "../../lib/preferences.js";

export function createOverviewData(window: Accessor<StatsWindow>) {
  const snapshot = createPoll(() => api.metrics());
  const queues = createPoll(() => api.queues());
  // Long windows move by the minute or the hour: no need to read them as often as the counts.
  const history = createPoll((chosen: StatsWindow) => api.statsHistory(chosen), {
    key: window,
    interval: () => (pollMs() === 0 ? 0 : window() === "15m" ? pollMs() : Math.max(pollMs(), 15_000)),
  });
  return { snapshot, queues, history };
}

/** Completed and failed jobs per second over the last `seconds` of the snapshot. */
export function recentThroughput(snapshot: MetricsSnapshot, seconds = 10) {
  // The current second is still filling: leave it out.
  const completed = snapshot.throughput.completed.slice(-seconds - 1, -1);
  const failed = snapshot.throughput.failed.slice(-seconds - 1, -1);
  const sum = (values: number[]) => values.reduce((total, n) => total + n, 0);
  const span = Math.max(1, completed.length);
  return { completed: sum(completed) / span, failed: sum(failed) / span };
}

export interface ChartSeries {
  labels: string[];
  backlog: (number | null)[];
  processing: (number | null)[];
  completedPerSecond: number[];
  failedPerSecond: number[];
  wait: { p50: (number | null)[]; p95: (number | null)[]; p99: (number | null)[] };
  run: { p50: (number | null)[]; p95: (number | null)[]; p99: (number | null)[] };
}

const pad = (n: number) => String(n).padStart(2, "0");

export function toChartSeries(history: StatsHistory): ChartSeries {
  const hourly = history.stepSeconds === 3600;
  const labels = history.points.map((point) => {
    const date = new Date(point.at);
    const time = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
    return hourly ? `${date.getMonth() + 1}/${date.getDate()} ${pad(date.getHours())}h` : time;
  });
  const points = history.points;
  return {
    labels,
    backlog: points.map((point) => point.backlog),
    processing: points.map((point) => point.processing),
    completedPerSecond: points.map((point) => point.completed / history.stepSeconds),
    failedPerSecond: points.map((point) => point.failed / history.stepSeconds),
    wait: {
      p50: points.map((point) => point.waitMs.p50),
      p95: points.map((point) => point.waitMs.p95),
      p99: points.map((point) => point.waitMs.p99),
    },
    run: {
      p50: points.map((point) => point.runMs.p50),
      p95: points.map((point) => point.runMs.p95),
      p99: points.map((point) => point.runMs.p99),
    },
  };
}
