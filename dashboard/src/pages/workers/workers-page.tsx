/** Workers: each worker's health, where it runs, its queues, load, counters, memory and event-loop lag. */
import type { WorkerEntry } from "@rqueue/shared/contract";
import { Show } from "solid-js";
import { DataTable, num } from "../../components/data-table.js";
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
            <DataTable
              testId="workers-table"
              columns={[
                "Worker",
                "Health",
                "Host or task",
                "Queues",
                num("Active"),
                num("Processed"),
                num("Failed"),
                num("Memory"),
                num("Loop lag"),
                "Last heartbeat",
                "Started",
              ]}
              rows={data().workers}
            >
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
            </DataTable>
          </Show>
        )}
      </Show>
    </section>
  );
}
