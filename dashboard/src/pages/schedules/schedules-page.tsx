/**
 * Schedules: every queue's repeatable and cron schedules with their next due times
 * and last runs (job states linked), pause/resume, trigger and delete, and a form
 * to create one. Controls follow the key's role: submit creates, pauses and
 * triggers; deleting needs admin, as on the API.
 */
import { MISFIRE_POLICIES, OVERLAP_POLICIES, type Schedule, type ScheduleRun } from "@rqueue/shared/contract";
import { A } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import { ACTIONS, DataTable, num } from "../../components/data-table.js";
import { FormProblem } from "../../components/form-problem.js";
import { noticeThenRefresh, notify } from "../../components/notices.js";
import { api, describeError } from "../../lib/api.js";
import { formatDuration, formatRelative, formatTimestamp } from "../../lib/format.js";
import { createPoll } from "../../lib/poll.js";
import { canAdmin, canSubmit } from "../../lib/session.js";
import { type ScheduleFormValues, scheduleInputOf } from "./schedule-form.js";

const RUNS_SHOWN = 5;

const timingOf = (schedule: Schedule) =>
  schedule.cron !== null
    ? `${schedule.cron} (${schedule.timezone ?? "UTC"})`
    : `every ${formatDuration(schedule.everyMs ?? 0)}`;

function LastRuns(props: { runs: ScheduleRun[] }) {
  return (
    <Show when={props.runs.length > 0} fallback={<span class="muted">none yet</span>}>
      <ul class="run-list">
        <For each={props.runs.slice(0, RUNS_SHOWN)}>
          {(run) => (
            <li>
              <A href={`/jobs/${encodeURIComponent(run.jobId)}`} class="mono">
                {run.jobId}
              </A>{" "}
              <span class="badge" data-state={run.state ?? "gone"}>
                {run.state ?? "gone"}
              </span>{" "}
              <span class="muted" title={formatTimestamp(run.dueAt)}>
                {run.manual ? "by hand " : ""}
                {formatRelative(run.dueAt)}
              </span>
            </li>
          )}
        </For>
      </ul>
    </Show>
  );
}

function CreateForm(props: { onCreated: () => void }) {
  const [timing, setTiming] = createSignal<"cron" | "every">("cron");
  const [problem, setProblem] = createSignal("");
  return (
    <form
      class="form schedule-form"
      data-testid="schedule-form"
      onSubmit={async (event) => {
        event.preventDefault();
        const form = event.currentTarget;
        const value = (name: string) =>
          (form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null)?.value ?? "";
        const values: ScheduleFormValues = {
          id: value("id"),
          queue: value("queue"),
          timing: timing(),
          cron: value("cron"),
          timezone: value("timezone"),
          everySeconds: value("everySeconds"),
          type: value("type"),
          payload: value("payload"),
          misfire: value("misfire") as ScheduleFormValues["misfire"],
          overlap: value("overlap") as ScheduleFormValues["overlap"],
        };
        const built = scheduleInputOf(values);
        if ("problem" in built) {
          setProblem(built.problem);
          return;
        }
        try {
          const created = await api.createSchedule(built.input);
          setProblem("");
          notify(`Created schedule ${created.id} on ${created.queue}`);
          form.reset();
          // reset() puts the select back on its first option: the fields shown must follow.
          setTiming("cron");
          props.onCreated();
        } catch (error) {
          setProblem(describeError(error));
        }
      }}
    >
      <div class="filters">
        <label>
          Id (optional)
          <input name="id" placeholder="nightly-report" />
        </label>
        <label>
          Queue
          <input name="queue" placeholder="default" />
        </label>
        <label>
          Job type
          <input name="type" required placeholder="echo" />
        </label>
        <label>
          Timing
          <select
            name="timing"
            value={timing()}
            onChange={(event) => setTiming(event.currentTarget.value as "cron" | "every")}
          >
            <option value="cron">cron</option>
            <option value="every">interval</option>
          </select>
        </label>
        <Show
          when={timing() === "cron"}
          fallback={
            <label>
              Every (seconds)
              <input name="everySeconds" type="number" min="1" step="1" value="60" />
            </label>
          }
        >
          <label>
            Cron (5 or 6 fields)
            <input name="cron" placeholder="0 9 * * 1-5" />
          </label>
          <label>
            Time zone
            <input name="timezone" placeholder="UTC" />
          </label>
        </Show>
        <label>
          Misfire
          <select name="misfire">
            <For each={MISFIRE_POLICIES}>{(policy) => <option value={policy}>{policy}</option>}</For>
          </select>
        </label>
        <label>
          Overlap
          <select name="overlap">
            <For each={OVERLAP_POLICIES}>{(policy) => <option value={policy}>{policy}</option>}</For>
          </select>
        </label>
      </div>
      <label>
        Payload (JSON)
        <textarea name="payload" rows="2" placeholder="{}" />
      </label>
      <FormProblem text={problem()} />
      <div class="actions">
        <button type="submit" class="primary">
          Create schedule
        </button>
      </div>
    </form>
  );
}

export default function SchedulesPage() {
  const schedules = createPoll(() => api.listSchedules({ limit: 200 }));
  const act = noticeThenRefresh(schedules.refresh);
  return (
    <section>
      <div class="page-head">
        <h1>Schedules</h1>
      </div>
      <Show when={canSubmit()}>
        <details class="panel">
          <summary>New schedule</summary>
          <CreateForm onCreated={() => void schedules.refresh()} />
        </details>
      </Show>
      <Show when={schedules.data()} fallback={<p class="empty">Loading…</p>}>
        {(data) => (
          <Show when={data().items.length > 0} fallback={<p class="empty">No schedules yet.</p>}>
            <DataTable
              testId="schedules-table"
              columns={[
                "Schedule",
                "Job",
                "Timing",
                "Status",
                "Next runs",
                "Last runs",
                num("Runs"),
                canSubmit() && ACTIONS,
              ]}
              rows={data().items}
            >
              {(schedule) => (
                <tr data-schedule={`${schedule.queue}/${schedule.id}`}>
                  <td class="mono">
                    {schedule.id}
                    <div class="muted">{schedule.queue}</div>
                  </td>
                  <td class="mono">{schedule.job.type}</td>
                  <td>
                    <span class="mono">{timingOf(schedule)}</span>
                    <div class="muted">
                      misfire {schedule.misfire}, overlap {schedule.overlap}
                      {schedule.limit !== null ? `, limit ${schedule.limit}` : ""}
                    </div>
                  </td>
                  <td>
                    <span class="badge" data-paused={schedule.status === "active" ? "no" : "yes"}>
                      {schedule.status}
                    </span>
                    <Show when={schedule.lastError}>
                      {(error) => (
                        <div class="error-text" title={formatTimestamp(error().at)}>
                          {error().message}
                        </div>
                      )}
                    </Show>
                  </td>
                  <td>
                    <Show when={schedule.nextRuns.length > 0} fallback={<span class="muted">—</span>}>
                      <ul class="run-list">
                        <For each={schedule.nextRuns.slice(0, 3)}>
                          {(at) => <li title={formatTimestamp(at)}>{formatRelative(at)}</li>}
                        </For>
                      </ul>
                    </Show>
                  </td>
                  <td>
                    <LastRuns runs={schedule.lastRuns} />
                  </td>
                  <td
                    class="num"
                    title={`${schedule.misfired} misfired, ${schedule.overlapSkipped} skipped for overlap`}
                  >
                    {schedule.runs}
                    {schedule.triggered > 0 ? ` + ${schedule.triggered}` : ""}
                  </td>
                  <Show when={canSubmit()}>
                    <td class="row-actions">
                      <Show
                        when={schedule.status === "paused"}
                        fallback={
                          <button
                            type="button"
                            disabled={schedule.status === "finished"}
                            onClick={() =>
                              act(`Paused ${schedule.id}`, () =>
                                api.pauseSchedule(schedule.queue, schedule.id),
                              )
                            }
                          >
                            Pause
                          </button>
                        }
                      >
                        <button
                          type="button"
                          onClick={() =>
                            act(`Resumed ${schedule.id}`, () =>
                              api.resumeSchedule(schedule.queue, schedule.id),
                            )
                          }
                        >
                          Resume
                        </button>
                      </Show>
                      <button
                        type="button"
                        onClick={() =>
                          act(`Triggered ${schedule.id}`, () =>
                            api.triggerSchedule(schedule.queue, schedule.id),
                          )
                        }
                      >
                        Trigger
                      </button>
                      <Show when={canAdmin()}>
                        <button
                          type="button"
                          class="danger"
                          onClick={() => {
                            if (!window.confirm(`Delete schedule ${schedule.id}? Its jobs stay.`)) return;
                            void act(`Deleted ${schedule.id}`, () =>
                              api.deleteSchedule(schedule.queue, schedule.id),
                            );
                          }}
                        >
                          Delete
                        </button>
                      </Show>
                    </td>
                  </Show>
                </tr>
              )}
            </DataTable>
          </Show>
        )}
      </Show>
    </section>
  );
}
