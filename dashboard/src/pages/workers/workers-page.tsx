/** Workers: each worker's health, where it runs, its queues, load, counters, memory and event-loop lag. */
import type { WorkerEntry } from "@rqueue/shared/contract";
import { For, Show } from "solid-js";
import { api } from "../../lib/api.js";
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatRelative,
  formatTimestamp,
} from "../../lib/format.js";
import { createPoll } from "../../lib/poll.js";

const where = (worker: WorkerEntry) =>
  worker.taskArn ? worker.taskArn.split("/").slice(-1)[0] : `${worker.host} (pid ${worker.pid})`;

export default function WorkersPage() {
  const workers = createPoll(() => api.workers());
  return (
    <section>
      <div class="page-head">
        <h1>Workers</h1>
        <Show when={workers.data()}>
          {(data) => (
            <span class="muted">
              {data().summary.healthy} healthy · {data().summary.stale} stale · {data().summary.activeJobs}{" "}
              jobs running
            </span>
          )}
        </Show>
      </div>
      <Show when={workers.data()} fallback={<p class="empty">Loading…</p>}>
        {(data) => (
          <Show when={data().workers.length > 0} fallback={<p class="empty">No worker has reported.</p>}>
            <div class="table-wrap">
              <table class="table" data-testid="workers-table">
                <thead>
                  <tr>
                    <th>Worker</th>
                    <th>Health</th>
                    <th>Host or task</th>
                    <th>Queues</th>
                    <th class="num">Active</th>
                    <th class="num">Processed</th>
                    <th class="num">Failed</th>
                    <th class="num">Memory</th>
                    <th class="num">Loop lag</th>
                    <th>Last heartbeat</th>
                    <th>Started</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={data().workers}>
                    {(worker) => (
                      <tr classList={{ stale: worker.status === "stale" }}>
                        <td class="mono">{worker.id}</td>
                        <td>
                          <span class="badge" data-health={worker.status}>
                            {worker.status}
                          </span>
                        </td>
                        <td class="mono">{where(worker)}</td>
                        <td>{worker.queues.join(", ")}</td>
                        <td class="num">
                          {worker.activeJobs}/{worker.concurrency}
                        </td>
                        <td class="num">{formatCount(worker.processed)}</td>
                        <td class="num">{formatCount(worker.failed)}</td>
                        <td class="num">{formatBytes(worker.memoryRssBytes)}</td>
                        <td class="num">{formatDuration(worker.eventLoopLagMs)}</td>
                        <td title={formatTimestamp(worker.lastHeartbeatAt)}>
                          {formatRelative(worker.lastHeartbeatAt)}
                        </td>
                        <td title={formatTimestamp(worker.startedAt)}>{formatRelative(worker.startedAt)}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
          </Show>
        )}
      </Show>
    </section>
  );
}
