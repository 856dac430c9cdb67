/**
 * Queues: counts per state, pause/resume, each job type's circuit breaker with
 * reset, and rate limits and fair queuing (flow-panel.tsx).
 */
import { JOB_STATES } from "@rqueue/shared/contract";
import { A } from "@solidjs/router";
import { For, Show } from "solid-js";
import { ACTIONS, DataTable, num } from "../../components/data-table.js";
import { noticeThenRefresh } from "../../components/notices.js";
import { api } from "../../lib/api.js";
import { formatCount, formatDuration, formatPercent, formatRelative } from "../../lib/format.js";
import { createPoll } from "../../lib/poll.js";
import { canAdmin } from "../../lib/session.js";
import { FlowPanel } from "./flow-panel.js";

/** The queues and each one's flow state, in one poll. */
async function loadQueues() {
  const { queues } = await api.queues();
  const flows = await Promise.all(queues.map((queue) => api.flowState(queue.name)));
  return { queues, flows };
}

export default function QueuesPage() {
  const queues = createPoll(loadQueues);
  const act = noticeThenRefresh(queues.refresh);
  return (
    <section>
      <div class="page-head">
        <h1>Queues</h1>
      </div>
      <Show when={queues.data()} fallback={<p class="empty">Loading…</p>}>
        {(data) => (
          <Show when={data().queues.length > 0} fallback={<p class="empty">No queue has jobs yet.</p>}>
            <DataTable
              testId="queues-table"
              columns={[
                "Queue",
                "Status",
                ...JOB_STATES.map((state) => num(state)),
                num("Backlog"),
                num("Oldest pending"),
                canAdmin() && ACTIONS,
              ]}
              rows={data().queues}
            >
              {(queue) => (
                <tr data-queue={queue.name}>
                  <td class="mono">
                    <A href={`/jobs?queue=${encodeURIComponent(queue.name)}`}>{queue.name}</A>
                  </td>
                  <td>
                    <span class="badge" data-paused={queue.paused ? "yes" : "no"}>
                      {queue.paused ? "paused" : "running"}
                    </span>
                  </td>
                  <For each={JOB_STATES}>
                    {(state) => (
                      <td class="num">
                        <A href={`/jobs?queue=${encodeURIComponent(queue.name)}&state=${state}`}>
                          {formatCount(queue.counts[state])}
                        </A>
                      </td>
                    )}
                  </For>
                  <td class="num">{formatCount(queue.backlog)}</td>
                  <td class="num">{formatDuration(queue.oldestPendingAgeSeconds * 1000)}</td>
                  <Show when={canAdmin()}>
                    <td>
                      <Show
                        when={queue.paused}
                        fallback={
                          <button
                            type="button"
                            onClick={() => act(`Paused ${queue.name}`, () => api.pauseQueue(queue.name))}
                          >
                            Pause
                          </button>
                        }
                      >
                        <button
                          type="button"
                          onClick={() => act(`Resumed ${queue.name}`, () => api.resumeQueue(queue.name))}
                        >
                          Resume
                        </button>
                      </Show>
                    </td>
                  </Show>
                </tr>
              )}
            </DataTable>
            <h2>Circuit breakers</h2>
            <Show
              when={data().queues.some((queue) => queue.breakers.length > 0)}
              fallback={
                <p class="muted">
                  No job type has a circuit breaker yet (one appears when a worker handles the type).
                </p>
              }
            >
              <DataTable
                testId="breakers-table"
                columns={[
                  "Queue",
                  "Type",
                  "State",
                  num("Failure rate"),
                  num("Calls"),
                  num("Threshold"),
                  "Opened",
                  "Reopens",
                  canAdmin() && ACTIONS,
                ]}
                rows={data().queues.flatMap((queue) =>
                  queue.breakers.map((breaker) => ({ queue: queue.name, breaker })),
                )}
              >
                {({ queue, breaker }) => (
                  <tr data-breaker={`${queue}/${breaker.type}`}>
                    <td class="mono">{queue}</td>
                    <td class="mono">{breaker.type}</td>
                    <td>
                      <span class="badge" data-breaker-state={breaker.state}>
                        {breaker.state}
                      </span>
                    </td>
                    <td class="num">{formatPercent(breaker.failureRate)}</td>
                    <td class="num">
                      {breaker.failures}/{breaker.calls}
                    </td>
                    <td class="num">
                      {formatPercent(breaker.config.failureRateThreshold)} of ≥{breaker.config.minCalls}
                    </td>
                    <td>{formatRelative(breaker.openedAt)}</td>
                    <td>{breaker.reopensAt ? formatRelative(breaker.reopensAt) : "—"}</td>
                    <Show when={canAdmin()}>
                      <td>
                        <button
                          type="button"
                          disabled={breaker.state === "closed"}
                          onClick={() =>
                            act(`Reset ${breaker.type}`, () => api.resetBreaker(queue, breaker.type))
                          }
                        >
                          Reset
                        </button>
                      </td>
                    </Show>
                  </tr>
                )}
              </DataTable>
            </Show>
            <FlowPanel flows={data().flows} queues={data().queues.map((queue) => queue.name)} act={act} />
          </Show>
        )}
      </Show>
    </section>
  );
}
