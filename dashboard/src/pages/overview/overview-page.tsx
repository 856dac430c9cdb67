/**
 * Overview: a card per state, the backlog and what drives scaling, workers, open
 * circuit breakers, and charts of backlog, throughput and latency over the chosen
 * window. Values stay on screen between polls.
 */
import { JOB_STATES, type JobState, STATS_WINDOWS, type StatsWindow } from "@rqueue/shared/contract";
import { A, useSearchParams } from "@solidjs/router";
import { createMemo, For, Show } from "solid-js";
import { LineChart } from "../../components/line-chart.js";
import { formatCompact, formatCount, formatDuration, formatRate } from "../../lib/format.js";
import { createOverviewData, recentThroughput, toChartSeries } from "./overview-data.js";

const WINDOW_LABELS: Record<StatsWindow, string> = {
  "15m": "15 min",
  "1h": "1 h",
  "24h": "24 h",
  "30d": "30 days",
};
const COLORS = {
  backlog: "#3b82f6",
  processing: "#a855f7",
  completed: "#16a34a",
  failed: "#dc2626",
  p50: "#0ea5e9",
  p95: "#f59e0b",
  p99: "#ef4444",
};

export function OverviewPage() {
  const [params, setParams] = useSearchParams<{ window?: string }>();
  const window = () =>
    (STATS_WINDOWS as readonly string[]).includes(params.window ?? "")
      ? (params.window as StatsWindow)
      : "1h";
  const { snapshot, queues, history } = createOverviewData(window);
  const series = createMemo(() => {
    const data = history.data();
    return data ? toChartSeries(data) : null;
  });
  const openBreakers = createMemo(() =>
    (queues.data()?.queues ?? []).flatMap((queue) =>
      queue.breakers.filter((b) => b.state !== "closed").map((b) => ({ queue: queue.name, ...b })),
    ),
  );
  const stateLink = (state: JobState) => `/jobs?state=${state}`;

  return (
    <section class="overview">
      <div class="page-head">
        <h1>Overview</h1>
        <fieldset class="segmented" aria-label="Chart window">
          <For each={STATS_WINDOWS}>
            {(choice) => (
              <button
                type="button"
                classList={{ active: window() === choice }}
                aria-pressed={window() === choice}
                onClick={() => setParams({ window: choice })}
              >
                {WINDOW_LABELS[choice]}
              </button>
            )}
          </For>
        </fieldset>
      </div>
      <Show
        when={snapshot.data()}
        fallback={<p class="empty">{snapshot.error() ? "No data yet." : "Loading…"}</p>}
      >
        {(data) => {
          const recent = () => recentThroughput(data());
          const workersRunning = () => data().ecs?.runningCount ?? data().workers.healthy;
          return (
            <>
              <div class="cards states" data-testid="state-cards">
                <For each={JOB_STATES}>
                  {(state) => (
                    <A href={stateLink(state)} class="card state-card" data-state={state}>
                      <span class="card-label">{state}</span>
                      <span class="card-value" data-testid={`count-${state}`}>
                        {formatCount(data().counts[state])}
                      </span>
                    </A>
                  )}
                </For>
              </div>
              <div class="cards">
                <div class="card">
                  <span class="card-label">Backlog</span>
                  <span class="card-value">{formatCount(data().backlog)}</span>
                  <span class="card-note">pending + due scheduled</span>
                </div>
                <div class="card">
                  <span class="card-label">Oldest pending</span>
                  <span class="card-value">{formatDuration(data().oldestPendingAgeSeconds * 1000)}</span>
                </div>
                <div class="card">
                  <span class="card-label">Throughput (10 s)</span>
                  <span class="card-value">{formatRate(recent().completed)}</span>
                  <span class="card-note">{formatRate(recent().failed)} dead-lettered</span>
                </div>
                <div class="card">
                  <span class="card-label">Wait p50 / p95 / p99</span>
                  <span class="card-value small">
                    {formatDuration(data().waitMs.p50)} / {formatDuration(data().waitMs.p95)} /{" "}
                    {formatDuration(data().waitMs.p99)}
                  </span>
                  <span class="card-note">
                    run {formatDuration(data().runMs.p50)} / {formatDuration(data().runMs.p95)} /{" "}
                    {formatDuration(data().runMs.p99)} (15 min)
                  </span>
                </div>
                <A href="/workers" class="card" classList={{ alert: data().workers.stale > 0 }}>
                  <span class="card-label">Workers</span>
                  <span class="card-value">{data().workers.healthy} healthy</span>
                  <span class="card-note">
                    {data().workers.stale} stale · {formatCompact(data().workers.activeJobs)} jobs running
                  </span>
                </A>
                <div class="card" data-testid="scaling-card">
                  <span class="card-label">{data().ecs ? "ECS tasks" : "Worker processes"}</span>
                  <span class="card-value">
                    {workersRunning()} running / {data().ecs?.desiredCount ?? data().scaling.desiredWorkers}{" "}
                    desired
                  </span>
                  <span class="card-note">
                    backlog per worker {formatCompact(data().backlog / Math.max(1, data().workers.healthy))} ·
                    drains in {data().scaling.targetDrainSeconds} s with {data().scaling.drainWorkers}
                  </span>
                </div>
                <A href="/queues" class="card" classList={{ alert: openBreakers().length > 0 }}>
                  <span class="card-label">Circuit breakers</span>
                  <span class="card-value">{openBreakers().length} open</span>
                  <span class="card-note">
                    {openBreakers()
                      .slice(0, 3)
                      .map((b) => `${b.queue}/${b.type}`)
                      .join(", ") || "all closed"}
                  </span>
                </A>
              </div>
            </>
          );
        }}
      </Show>
      <Show when={series()}>
        {(chart) => (
          <div class="charts">
            <LineChart
              title="Backlog and running"
              labels={chart().labels}
              series={[
                { label: "backlog", values: chart().backlog, color: COLORS.backlog },
                { label: "processing", values: chart().processing, color: COLORS.processing },
              ]}
            />
            <LineChart
              title="Throughput (jobs/s)"
              labels={chart().labels}
              series={[
                { label: "completed", values: chart().completedPerSecond, color: COLORS.completed },
                { label: "dead-lettered", values: chart().failedPerSecond, color: COLORS.failed },
              ]}
            />
            <LineChart
              title="Wait time (ms)"
              labels={chart().labels}
              series={[
                { label: "p50", values: chart().wait.p50, color: COLORS.p50 },
                { label: "p95", values: chart().wait.p95, color: COLORS.p95 },
                { label: "p99", values: chart().wait.p99, color: COLORS.p99 },
              ]}
            />
            <LineChart
              title="Run time (ms)"
              labels={chart().labels}
              series={[
                { label: "p50", values: chart().run.p50, color: COLORS.p50 },
                { label: "p95", values: chart().run.p95, color: COLORS.p95 },
                { label: "p99", values: chart().run.p99, color: COLORS.p99 },
              ]}
            />
          </div>
        )}
      </Show>
    </section>
  );
}
