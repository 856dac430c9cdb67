/**
 * One job: its fields, live progress, payload and result (lazy, collapsed when
 * large), the error of every attempt (newest first), a timeline, its logs, its
 * dependency graph, replay links both ways, and the actions its state allows.
 */
import type { Job } from "@rqueue/shared/contract";
import { A, useNavigate, useParams } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import { JsonViewer } from "../../components/json-viewer.js";
import { ConfirmDialog } from "../../components/modal.js";
import { notify } from "../../components/notices.js";
import { ProgressBar } from "../../components/progress-bar.js";
import { StateBadge } from "../../components/state-badge.js";
import { ApiRequestError, api, describeError } from "../../lib/api.js";
import { formatDuration, formatRelative, formatTimestamp } from "../../lib/format.js";
import { canAdmin, canSubmit } from "../../lib/session.js";
import { createJobDetailData } from "./job-detail-data.js";
import { JobGraphView } from "./job-graph.js";
import { buildTimeline } from "./job-timeline.js";
import { ReplayDialog } from "./replay-dialog.js";

const jobLink = (id: string) => `/jobs/${encodeURIComponent(id)}`;

function Field(props: { label: string; children: unknown }) {
  return (
    <>
      <dt>{props.label}</dt>
      <dd>{props.children as string}</dd>
    </>
  );
}

export default function JobDetailPage() {
  const params = useParams<{ id: string }>();
  const navigate = useNavigate();
  const id = () => decodeURIComponent(params.id);
  const { job, graph, logs } = createJobDetailData(id);
  const [confirmDelete, setConfirmDelete] = createSignal(false);
  const [replaying, setReplaying] = createSignal(false);

  const act = async (label: string, action: () => Promise<unknown>) => {
    try {
      await action();
      notify(`${label}: done`);
    } catch (error) {
      notify(`${label}: ${describeError(error)}`, "error");
    }
    await job.refresh();
  };

  const notFound = () =>
    job.error() instanceof ApiRequestError && (job.error() as ApiRequestError).status === 404;

  return (
    <section class="job-detail">
      <Show when={notFound()}>
        <p class="empty">
          Job {id()} does not exist (it may have been deleted or trimmed by retention).{" "}
          <A href="/jobs">Back to jobs</A>
        </p>
      </Show>
      <Show
        when={!notFound() && job.data()}
        fallback={
          <Show when={!notFound()}>
            <p class="empty">Loading…</p>
          </Show>
        }
      >
        {(data) => {
          const value = (): Job => data() as Job;
          return (
            <>
              <div class="page-head">
                <h1>
                  <span class="mono">{value().id}</span> <StateBadge state={value().state} />
                </h1>
                <div class="actions">
                  <Show when={canAdmin() && !["completed", "failed", "canceled"].includes(value().state)}>
                    <button type="button" onClick={() => act("Cancel", () => api.cancelJob(value().id))}>
                      Cancel
                    </button>
                  </Show>
                  <Show when={canAdmin() && ["failed", "canceled"].includes(value().state)}>
                    <button type="button" onClick={() => act("Retry", () => api.retryJob(value().id))}>
                      Retry
                    </button>
                    <Show when={value().dependentsCount > 0}>
                      <button
                        type="button"
                        onClick={() =>
                          act("Retry with dependents", () => api.retryJob(value().id, { cascade: true }))
                        }
                      >
                        Retry with dependents
                      </button>
                    </Show>
                  </Show>
                  <Show when={canSubmit()}>
                    <button type="button" onClick={() => setReplaying(true)}>
                      Replay…
                    </button>
                  </Show>
                  <Show when={canAdmin() && ["completed", "failed", "canceled"].includes(value().state)}>
                    <button type="button" class="danger" onClick={() => setConfirmDelete(true)}>
                      Delete
                    </button>
                  </Show>
                </div>
              </div>
              <dl class="fields">
                <Field label="Type">{value().type}</Field>
                <Field label="Queue">{value().queue}</Field>
                <Show when={value().group}>
                  <Field label="Group">{value().group}</Field>
                </Show>
                <Field label="Priority">{value().priority}</Field>
                <Field label="Attempts">
                  {value().attempts} of {value().maxAttempts}
                </Field>
                <Field label="Worker">{value().workerId ?? "—"}</Field>
                <Field label="Created">
                  {formatTimestamp(value().createdAt)} ({formatRelative(value().createdAt)})
                </Field>
                <Field label="Started">{formatTimestamp(value().startedAt)}</Field>
                <Field label="Finished">{formatTimestamp(value().finishedAt)}</Field>
                <Show when={value().runAt}>
                  <Field label="Runs at">
                    {formatTimestamp(value().runAt)} ({formatRelative(value().runAt)})
                  </Field>
                </Show>
                <Field label="Timeout">
                  {value().timeoutMs === null ? "worker default" : formatDuration(value().timeoutMs)}
                </Field>
                <Show when={value().expiresAt}>
                  <Field label="Expires">
                    {formatTimestamp(value().expiresAt)} ({formatRelative(value().expiresAt)}) unless started
                  </Field>
                </Show>
                <Show when={value().failureReason}>
                  <Field label="Failure reason">{value().failureReason}</Field>
                </Show>
                <Show when={value().cancelReason}>
                  <Field label="Cancel reason">
                    {value().cancelReason === "expired"
                      ? "expired (not started by its expiry)"
                      : value().cancelReason}
                  </Field>
                </Show>
                <Show when={value().failedParent}>
                  {(parent) => (
                    <>
                      <dt>Failed parent</dt>
                      <dd>
                        <A href={jobLink(parent())}>{parent()}</A>
                      </dd>
                    </>
                  )}
                </Show>
                <Show when={value().replayOf}>
                  {(original) => (
                    <>
                      <dt>Replay of</dt>
                      <dd>
                        <A href={jobLink(original())} data-testid="replay-of">
                          {original()}
                        </A>
                      </dd>
                    </>
                  )}
                </Show>
                <Show when={value().replays.length > 0}>
                  <dt>Replayed as</dt>
                  <dd data-testid="replays">
                    <For each={value().replays}>
                      {(replay) => (
                        <A href={jobLink(replay)} class="chip">
                          {replay}
                        </A>
                      )}
                    </For>
                  </dd>
                </Show>
                <Show when={value().idempotencyKey}>
                  <Field label="Idempotency key">{value().idempotencyKey}</Field>
                </Show>
              </dl>
              <Show
                when={
                  value().state === "completed"
                    ? { percent: 100, detail: value().progress?.detail }
                    : value().progress
                }
              >
                {(progress) => (
                  <div class="panel">
                    <h2>Progress</h2>
                    <ProgressBar percent={progress().percent} />
                    <Show when={progress().detail !== undefined}>
                      <JsonViewer value={progress().detail} label="progress detail" />
                    </Show>
                  </div>
                )}
              </Show>
              <div class="panel-grid">
                <div class="panel">
                  <h2>Payload</h2>
                  <JsonViewer value={value().payload} label="payload" />
                </div>
                <div class="panel">
                  <h2>Result</h2>
                  <Show when={value().result !== null} fallback={<p class="muted">No result yet.</p>}>
                    <JsonViewer value={value().result} label="result" />
                  </Show>
                </div>
              </div>
              <div class="panel">
                <h2>Errors ({value().errors.length})</h2>
                <Show when={value().errors.length > 0} fallback={<p class="muted">No failed attempt.</p>}>
                  <ol class="errors" data-testid="attempt-errors">
                    <For each={[...value().errors].reverse()}>
                      {(error) => (
                        <li>
                          <div class="error-head">
                            <strong>Attempt {error.attempt}</strong>
                            <span>{formatTimestamp(error.at)}</span>
                            <Show when={error.workerId}>
                              <span class="mono">{error.workerId}</span>
                            </Show>
                            <Show when={error.reason}>
                              <span class="chip">{error.reason}</span>
                            </Show>
                          </div>
                          <p class="error-message">{error.message}</p>
                          <Show when={error.stack}>
                            <details>
                              <summary>Stack</summary>
                              <pre>{error.stack}</pre>
                            </details>
                          </Show>
                        </li>
                      )}
                    </For>
                  </ol>
                </Show>
              </div>
              <div class="panel">
                <h2>Timeline</h2>
                <ol class="timeline" data-testid="timeline">
                  <For each={buildTimeline(value())}>
                    {(step) => (
                      <li data-kind={step.kind}>
                        <span class="timeline-at">{formatTimestamp(step.at)}</span>
                        <span class="timeline-label">{step.label}</span>
                        <Show when={step.sincePrevious !== null}>
                          <span class="muted">+{formatDuration(step.sincePrevious)}</span>
                        </Show>
                        <Show when={step.detail}>
                          <span class="timeline-detail">{step.detail}</span>
                        </Show>
                      </li>
                    )}
                  </For>
                </ol>
              </div>
              <div class="panel">
                <h2>Logs</h2>
                <Show
                  when={(logs.data()?.lines.length ?? 0) > 0}
                  fallback={<p class="muted">{logs.data() ? "No log lines." : "Loading…"}</p>}
                >
                  <pre class="logs" data-testid="job-logs">
                    {(logs.data()?.lines ?? [])
                      .map((line) => `${formatTimestamp(line.at)}  #${line.attempt}  ${line.message}`)
                      .join("\n")}
                  </pre>
                </Show>
              </div>
              <Show when={graph.data()}>
                {(neighbourhood) => (
                  <div class="panel">
                    <h2>Dependencies</h2>
                    <JobGraphView graph={neighbourhood()} />
                  </div>
                )}
              </Show>
              <Show when={confirmDelete()}>
                <ConfirmDialog
                  title={`Delete ${value().id}?`}
                  message={<p>The job, its result and its logs are removed for good.</p>}
                  confirmLabel="Delete"
                  danger
                  onConfirm={async () => {
                    try {
                      await api.deleteJob(value().id);
                      notify(`Deleted ${value().id}`);
                      navigate("/jobs");
                    } catch (error) {
                      notify(`Delete: ${describeError(error)}`, "error");
                    }
                  }}
                  onClose={() => setConfirmDelete(false)}
                />
              </Show>
              <Show when={replaying()}>
                <ReplayDialog job={value()} onClose={() => setReplaying(false)} />
              </Show>
            </>
          );
        }}
      </Show>
    </section>
  );
}
