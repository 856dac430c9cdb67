/**
 * Dead letters: a queue's failed jobs grouped by type and error message (count,
 * first and last seen), with retry of one job, of a group, of every failed job of
 * a type or the whole queue, and purge with confirmation.
 */
import type { DeadLetterGroup } from "@rqueue/shared/contract";
import { A, useSearchParams } from "@solidjs/router";
import { createSignal, For, type JSX, Show } from "solid-js";
import { ACTIONS, DataTable, num } from "../../components/data-table.js";
import { ConfirmDialog } from "../../components/modal.js";
import { notify } from "../../components/notices.js";
import { api, describeError } from "../../lib/api.js";
import { formatCount, formatRelative, formatTimestamp } from "../../lib/format.js";
import { createPoll } from "../../lib/poll.js";
import { runEach } from "../../lib/run-each.js";
import { canAdmin } from "../../lib/session.js";

interface Pending {
  title: string;
  message: JSX.Element;
  label: string;
  danger?: boolean;
  run: () => Promise<string>;
}

export default function DeadLettersPage() {
  const [params, setParams] = useSearchParams<{ queue?: string }>();
  const queueName = () => params.queue || "default";
  const queues = createPoll(() => api.queues());
  const groups = createPoll((queue: string) => api.deadLetterGroups(queue), { key: queueName });
  const [pending, setPending] = createSignal<Pending | null>(null);

  const run = async (work: () => Promise<string>) => {
    try {
      notify(await work());
    } catch (error) {
      notify(describeError(error), "error");
    }
    await groups.refresh();
  };

  const retryGroup = (group: DeadLetterGroup) =>
    setPending({
      title: `Retry ${group.count} jobs?`,
      message: (
        <p>
          {group.type}: “{group.message}”
        </p>
      ),
      label: "Retry group",
      run: async () => {
        const outcome = await runEach(group.jobIds, (id) => api.retryJob(id));
        return `Retried ${outcome.succeeded} of ${group.jobIds.length}${outcome.failed ? ` (${describeError(outcome.firstError)})` : ""}`;
      },
    });

  const retryType = (type?: string) =>
    setPending({
      title: type ? `Retry every failed ${type} job?` : `Retry every failed job of ${queueName()}?`,
      message: <p>Runs on the server in chunks; jobs whose parent failed stay failed.</p>,
      label: "Retry all",
      run: async () => {
        const result = await api.retryDeadLetter({ queue: queueName(), type });
        return `Retried ${formatCount(result.retried)} jobs`;
      },
    });

  const purge = (type?: string) =>
    setPending({
      title: type ? `Purge every failed ${type} job?` : `Purge every failed job of ${queueName()}?`,
      message: <p>The jobs are deleted for good. Parents that blocked jobs still wait on are kept.</p>,
      label: "Purge",
      danger: true,
      run: async () => {
        const result = await api.purgeDeadLetter({ queue: queueName(), type });
        return `Deleted ${formatCount(result.deleted)} jobs`;
      },
    });

  return (
    <section>
      <div class="page-head">
        <h1>Dead letters</h1>
        <div class="actions">
          <label class="inline">
            Queue{" "}
            <select
              name="queue"
              value={queueName()}
              onChange={(event) => setParams({ queue: event.currentTarget.value })}
            >
              <For each={[...new Set([queueName(), ...(queues.data()?.queues ?? []).map((q) => q.name)])]}>
                {(name) => <option value={name}>{name}</option>}
              </For>
            </select>
          </label>
          <Show when={canAdmin() && (groups.data()?.totalFailed ?? 0) > 0}>
            <button type="button" onClick={() => retryType()}>
              Retry all
            </button>
            <button type="button" class="danger" onClick={() => purge()}>
              Purge all
            </button>
          </Show>
        </div>
      </div>
      <Show
        when={groups.data()}
        fallback={<p class="empty">{groups.error() ? describeError(groups.error()) : "Loading…"}</p>}
      >
        {(data) => (
          <>
            <p class="muted" data-testid="dead-letter-summary">
              {formatCount(data().totalFailed)} failed jobs
              {data().complete ? "" : ` · grouped from the newest ${formatCount(data().examined)}`}
            </p>
            <Show when={data().groups.length > 0} fallback={<p class="empty">No dead-lettered job.</p>}>
              <DataTable
                testId="dead-letter-groups"
                columns={[
                  "Type",
                  "Error",
                  num("Count"),
                  "First seen",
                  "Last seen",
                  "Jobs",
                  canAdmin() && ACTIONS,
                ]}
                rows={data().groups}
              >
                {(group) => (
                  <tr data-group={`${group.type}|${group.message}`}>
                    <td class="mono">{group.type}</td>
                    <td class="error-message">
                      <Show when={group.reason && group.reason !== "error"}>
                        <span class="chip">{group.reason}</span>{" "}
                      </Show>
                      {group.message}
                    </td>
                    <td class="num">{formatCount(group.count)}</td>
                    <td title={formatTimestamp(group.firstSeen)}>{formatRelative(group.firstSeen)}</td>
                    <td title={formatTimestamp(group.lastSeen)}>{formatRelative(group.lastSeen)}</td>
                    <td>
                      <For each={group.jobIds.slice(0, 3)}>
                        {(id) => (
                          <A href={`/jobs/${encodeURIComponent(id)}`} class="chip mono">
                            {id}
                          </A>
                        )}
                      </For>
                      <A
                        href={`/jobs?queue=${encodeURIComponent(data().queue)}&state=failed&type=${encodeURIComponent(group.type)}`}
                        class="link"
                      >
                        all
                      </A>
                    </td>
                    <Show when={canAdmin()}>
                      <td class="row-actions">
                        <button
                          type="button"
                          onClick={() =>
                            void run(
                              async () => `Retried ${(await api.retryJob(group.jobIds[0] as string)).id}`,
                            )
                          }
                        >
                          Retry one
                        </button>
                        <button type="button" onClick={() => retryGroup(group)}>
                          Retry group
                        </button>
                        <button type="button" onClick={() => retryType(group.type)}>
                          Retry type
                        </button>
                        <button type="button" class="danger" onClick={() => purge(group.type)}>
                          Purge type
                        </button>
                      </td>
                    </Show>
                  </tr>
                )}
              </DataTable>
            </Show>
          </>
        )}
      </Show>
      <Show when={pending()}>
        {(action) => (
          <ConfirmDialog
            title={action().title}
            message={action().message}
            confirmLabel={action().label}
            danger={action().danger}
            onConfirm={() => void run(action().run)}
            onClose={() => setPending(null)}
          />
        )}
      </Show>
    </section>
  );
}
