/**
 * Benchmark (admin): starts a timed load of `noop` or `cpu` jobs in batches and
 * shows enqueue rate, drain rate and latency as it runs, then the summary. One
 * run at a time, for everyone: the server holds the lease.
 */
import type { BenchmarkRun } from "@rqueue/shared/contract";
import { createMemo, createSignal, Show } from "solid-js";
import { FormProblem } from "../../components/form-problem.js";
import { LineChart } from "../../components/line-chart.js";
import { notify } from "../../components/notices.js";
import { ProgressBar } from "../../components/progress-bar.js";
import { api, describeError } from "../../lib/api.js";
import { formatCount, formatDuration, formatRate, formatRelative } from "../../lib/format.js";
import { createPoll } from "../../lib/poll.js";
import { canAdmin } from "../../lib/session.js";

export default function BenchmarkPage() {
  let running = false;
  const current = createPoll(
    async (): Promise<BenchmarkRun | null> => {
      const { run } = await api.currentBenchmark();
      running = run?.status === "running";
      return run;
    },
    { interval: () => (running ? 1000 : 5000) },
  );
  const [problem, setProblem] = createSignal("");
  const chart = createMemo(() => {
    const run = current.data();
    if (!run) return null;
    return {
      labels: run.samples.map((sample) => `${Math.round(sample.t / 1000)} s`),
      enqueued: run.samples.map((sample) => sample.enqueued),
      completed: run.samples.map((sample) => sample.completed),
    };
  });

  const start = async (event: SubmitEvent & { currentTarget: HTMLFormElement }) => {
    event.preventDefault();
    const form = event.currentTarget;
    const value = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value;
    setProblem("");
    try {
      await api.startBenchmark({
        queue: value("queue") || "default",
        type: value("type") as "noop" | "cpu",
        jobs: Number(value("jobs")),
        batchSize: Number(value("batchSize")),
        cpuRounds: Number(value("cpuRounds")),
      });
      running = true;
      await current.refresh();
    } catch (error) {
      setProblem(describeError(error));
    }
  };

  return (
    <section class="bench">
      <div class="page-head">
        <h1>Benchmark</h1>
      </div>
      <Show when={canAdmin()} fallback={<p class="muted">Starting a benchmark needs an admin key.</p>}>
        <form class="form panel" data-testid="benchmark-form" onSubmit={start}>
          <div class="form-row">
            <label>
              Queue
              <input name="queue" value="default" />
            </label>
            <label>
              Type
              <select name="type">
                <option value="noop">noop</option>
                <option value="cpu">cpu</option>
              </select>
            </label>
            <label>
              Jobs
              <input name="jobs" type="number" min="100" max="200000" value="5000" />
            </label>
            <label>
              Batch size
              <input name="batchSize" type="number" min="10" max="1000" value="500" />
            </label>
            <label>
              CPU rounds (cpu)
              <input name="cpuRounds" type="number" min="1" max="1000000" value="2000" />
            </label>
          </div>
          <FormProblem text={problem()} />
          <div class="modal-actions">
            <button type="submit" class="primary" disabled={current.data()?.status === "running"}>
              Start
            </button>
          </div>
        </form>
      </Show>
      <Show when={current.data()} fallback={<p class="empty">No benchmark has run yet.</p>}>
        {(run) => (
          <div class="panel" data-testid="benchmark-run" data-status={run().status}>
            <div class="operation-head">
              <strong>
                {formatCount(run().input.jobs)} {run().input.type} jobs in batches of {run().input.batchSize}{" "}
                on {run().input.queue}
              </strong>
              <span class="badge" data-op-status={run().status}>
                {run().status}
              </span>
            </div>
            <p class="muted">
              started {formatRelative(run().startedAt)} by {run().createdBy}
            </p>
            <div class="form-row">
              <div>
                added {formatCount(run().enqueued)}
                <ProgressBar percent={(run().enqueued / run().input.jobs) * 100} />
              </div>
              <div>
                finished {formatCount(run().completed + run().failed)}
                <ProgressBar percent={((run().completed + run().failed) / run().input.jobs) * 100} />
              </div>
            </div>
            <div class="cards" data-testid="benchmark-summary">
              <div class="card">
                <span class="card-label">Enqueue rate</span>
                <span class="card-value">{formatRate(run().enqueueRate)}</span>
              </div>
              <div class="card">
                <span class="card-label">Drain rate</span>
                <span class="card-value">{formatRate(run().drainRate)}</span>
                <span class="card-note">{formatCount(run().failed)} dead-lettered</span>
              </div>
              <div class="card">
                <span class="card-label">Wait p50 / p95 / p99</span>
                <span class="card-value small">
                  {formatDuration(run().waitMs.p50)} / {formatDuration(run().waitMs.p95)} /{" "}
                  {formatDuration(run().waitMs.p99)}
                </span>
              </div>
              <div class="card">
                <span class="card-label">Run p50 / p95 / p99</span>
                <span class="card-value small">
                  {formatDuration(run().runMs.p50)} / {formatDuration(run().runMs.p95)} /{" "}
                  {formatDuration(run().runMs.p99)}
                </span>
              </div>
              <Show when={run().finishedAt}>
                <div class="card">
                  <span class="card-label">Took</span>
                  <span class="card-value">
                    {formatDuration(Date.parse(run().finishedAt ?? "") - Date.parse(run().startedAt))}
                  </span>
                </div>
              </Show>
            </div>
            <p class="muted">
              Completions are the queue's own counters: other jobs finishing in it meanwhile count too.
            </p>
            <Show when={run().error}>
              <p class="error-text">{run().error}</p>
            </Show>
            <Show when={chart()}>
              {(series) => (
                <LineChart
                  title="Jobs added and finished"
                  labels={series().labels}
                  series={[
                    { label: "added", values: series().enqueued, color: "#3b82f6" },
                    { label: "completed", values: series().completed, color: "#16a34a" },
                  ]}
                />
              )}
            </Show>
            <Show when={run().status === "running" && canAdmin()}>
              <button
                type="button"
                class="danger"
                onClick={async () => {
                  try {
                    await api.cancelBenchmark();
                    notify("Benchmark stopping");
                  } catch (error) {
                    notify(describeError(error), "error");
                  }
                  await current.refresh();
                }}
              >
                Cancel benchmark
              </button>
            </Show>
          </div>
        )}
      </Show>
    </section>
  );
}
