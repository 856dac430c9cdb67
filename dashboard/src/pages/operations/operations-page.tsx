/** Bulk operations: the one in the URL followed closely, and the recent ones below it. */
import type { Operation } from "@rqueue/shared/contract";
import { useParams } from "@solidjs/router";
import { For, Show } from "solid-js";
import { notify } from "../../components/notices.js";
import { api, describeError } from "../../lib/api.js";
import { createPoll } from "../../lib/poll.js";
import { canAdmin } from "../../lib/session.js";
import { OperationProgress } from "./operation-progress.js";

export default function OperationsPage() {
  const params = useParams<{ id?: string }>();
  const list = createPoll(() => api.listOperations());
  let running = true;
  const current = createPoll(
    async (id: string | undefined): Promise<Operation | null> => {
      const operation = id ? await api.getOperation(id) : null;
      running = operation?.status === "running";
      return operation;
    },
    { key: () => params.id, interval: () => (running ? 1000 : 0) },
  );
  const cancel = async (id: string) => {
    try {
      await api.cancelOperation(id);
      notify("Cancel requested");
    } catch (error) {
      notify(describeError(error), "error");
    }
    await Promise.all([current.refresh(), list.refresh()]);
  };
  return (
    <section>
      <div class="page-head">
        <h1>Operations</h1>
      </div>
      <Show when={current.data()}>
        {(operation) => (
          <div class="panel">
            <OperationProgress
              operation={operation()}
              onCancel={canAdmin() ? () => cancel(operation().id) : undefined}
            />
          </div>
        )}
      </Show>
      <h2>Recent</h2>
      <Show
        when={list.data()}
        fallback={<p class="empty">{list.error() ? describeError(list.error()) : "Loading…"}</p>}
      >
        {(data) => (
          <Show
            when={data().operations.length > 0}
            fallback={<p class="empty">No bulk operation yet. Start one from Jobs: “retry all matching…”.</p>}
          >
            <For each={data().operations.filter((operation) => operation.id !== params.id)}>
              {(operation) => (
                <div class="panel">
                  <OperationProgress
                    operation={operation}
                    onCancel={canAdmin() ? () => cancel(operation.id) : undefined}
                  />
                </div>
              )}
            </For>
          </Show>
        )}
      </Show>
    </section>
  );
}
