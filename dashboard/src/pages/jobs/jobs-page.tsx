/**
 * Jobs: one page of a queue's jobs in one state, filtered, with cursor paging
 * (next and previous), all of it in the URL. New arrivals wait behind "N new —
 * show"; polling pauses while rows are selected; selected rows or everything the
 * filter matches can be retried, canceled or deleted. With text in the search box
 * (in the URL as `q`), the page shows the archive's finished jobs that match.
 */
import type { JobState } from "@rqueue/shared/contract";
import { useSearchParams } from "@solidjs/router";
import { createMemo, createSignal, lazy, Show } from "solid-js";
import { ConfirmDialog } from "../../components/modal.js";
import { notify } from "../../components/notices.js";
import { api, describeError } from "../../lib/api.js";
import { formatCount } from "../../lib/format.js";
import { runEach } from "../../lib/run-each.js";
import { canAdmin } from "../../lib/session.js";
import { JobFilters } from "./job-filters.js";
import { createJobsData, holdNewRows } from "./jobs-data.js";
import { JobsTable } from "./jobs-table.js";
import {
  type JobsParams,
  nextPage,
  pageNumber,
  parseJobsView,
  previousPage,
  toJobsParams,
  withFilters,
} from "./jobs-url.js";
import { SearchBox } from "./search-box.js";

const OperationDialog = lazy(() => import("../operations/operation-dialog.js"));

type Action = "retry" | "cancel" | "delete";
const RETRYABLE: JobState[] = ["failed", "canceled"];
const FINAL: JobState[] = ["completed", "failed", "canceled"];

/** The actions that make sense for jobs in a state. */
export function actionsFor(state: JobState): Action[] {
  const actions: Action[] = [];
  if (RETRYABLE.includes(state)) actions.push("retry");
  if (!FINAL.includes(state)) actions.push("cancel");
  if (FINAL.includes(state)) actions.push("delete");
  return actions;
}

export function JobsPage() {
  const [params, setParams] = useSearchParams<JobsParams>();
  const view = createMemo(() => parseJobsView(params));
  const go = (next: ReturnType<typeof parseJobsView>) => setParams(toJobsParams(next));
  const [selected, setSelected] = createSignal<ReadonlySet<string>>(new Set());
  const [anchor, setAnchor] = createSignal<number | null>(null);
  const [confirm, setConfirm] = createSignal<Action | null>(null);
  const [byFilter, setByFilter] = createSignal<Action | null>(null);
  const { page, queues, key } = createJobsData(view, () => selected().size > 0);
  const held = holdNewRows(page.data, key);
  const now = createMemo(() => {
    page.data(); // a new page re-reads the clock for relative times
    return Date.now();
  });

  const queueInfo = createMemo(() => queues.data()?.queues.find((queue) => queue.name === view().queue));
  const types = createMemo(() => Object.keys(queueInfo()?.countsByType ?? {}).sort());
  const filterCount = createMemo(() => {
    const info = queueInfo();
    if (!info) return null;
    const { type, state } = view();
    return type ? (info.countsByType[type]?.[state] ?? 0) : info.counts[state];
  });

  const clearSelection = () => {
    setSelected(new Set<string>());
    setAnchor(null);
  };
  const toggle = (id: string, index: number, range: boolean) => {
    const next = new Set(selected());
    const from = anchor();
    if (range && from !== null) {
      const rows = held.rows();
      const [start, end] = from < index ? [from, index] : [index, from];
      const select = !next.has(id);
      for (const row of rows.slice(start, end + 1)) select ? next.add(row.id) : next.delete(row.id);
    } else if (next.has(id)) next.delete(id);
    else next.add(id);
    setAnchor(index);
    setSelected(next);
  };
  const toggleAll = (select: boolean) =>
    setSelected(select ? new Set(held.rows().map((job) => job.id)) : new Set<string>());

  const runOnSelection = async (action: Action) => {
    const ids = [...selected()];
    const perform = {
      retry: (id: string) => api.retryJob(id),
      cancel: (id: string) => api.cancelJob(id),
      delete: (id: string) => api.deleteJob(id),
    }[action];
    const outcome = await runEach(ids, perform);
    clearSelection();
    notify(
      outcome.failed === 0
        ? `${action}: ${outcome.succeeded} job${outcome.succeeded === 1 ? "" : "s"}`
        : `${action}: ${outcome.succeeded} done, ${outcome.failed} refused (${describeError(outcome.firstError)})`,
      outcome.failed === 0 ? "info" : "error",
    );
    void page.refresh();
  };

  return (
    <section>
      <div class="page-head">
        <h1>Jobs</h1>
        <Show when={!view().q && canAdmin() && actionsFor(view().state).length > 0}>
          <div class="actions">
            {actionsFor(view().state).map((action) => (
              <button type="button" onClick={() => setByFilter(action)}>
                {action} all matching…
              </button>
            ))}
          </div>
        </Show>
      </div>
      <SearchBox
        value={view().q ?? ""}
        onSearch={(q) => {
          clearSelection();
          go(withFilters(view(), { q: q || undefined }));
        }}
      />
      <JobFilters
        view={view()}
        queues={(queues.data()?.queues ?? []).map((queue) => queue.name)}
        types={types()}
        onChange={(changes) => {
          clearSelection();
          go(withFilters(view(), changes));
        }}
      />
      <div class="table-bar">
        <span class="muted" data-testid="filter-count">
          <Show when={view().q}>Finished jobs from the archive matching the search, newest first</Show>
          <Show when={!view().q && filterCount() !== null}>
            {formatCount(filterCount() ?? 0)} {view().state}
            {view().type ? ` ${view().type}` : ""} jobs
            {view().priority !== undefined ? " (any priority)" : ""}
          </Show>
        </span>
        <Show when={held.newCount() > 0}>
          <button type="button" class="new-rows" onClick={held.showNew}>
            {held.newCount()} new — show
          </button>
        </Show>
        <Show when={selected().size > 0}>
          <span class="selection">
            {selected().size} selected (refresh paused)
            {actionsFor(view().state).map((action) => (
              <button
                type="button"
                classList={{ danger: action === "delete" }}
                onClick={() => setConfirm(action)}
              >
                {action}
              </button>
            ))}
            <button type="button" class="link" onClick={clearSelection}>
              clear
            </button>
          </span>
        </Show>
      </div>
      <Show when={page.error() && !page.data()}>
        <p class="error-text">{describeError(page.error())}</p>
      </Show>
      <Show when={page.data()} fallback={<p class="empty">Loading…</p>}>
        <Show
          when={held.rows().length > 0}
          fallback={
            <p class="empty" data-testid="jobs-empty">
              {page.data()?.nextCursor
                ? "No match on this stretch; the next page continues."
                : view().q
                  ? "No finished job in the archive matches."
                  : `No ${view().state} jobs.`}
            </p>
          }
        >
          <JobsTable
            rows={held.rows()}
            selected={selected()}
            selectable={!view().q && canAdmin() && actionsFor(view().state).length > 0}
            now={now()}
            onToggle={toggle}
            onToggleAll={toggleAll}
          />
        </Show>
      </Show>
      <div class="pager">
        <button
          type="button"
          disabled={view().back.length === 0}
          onClick={() => {
            clearSelection();
            go(previousPage(view()));
          }}
        >
          ← Previous
        </button>
        <span data-testid="page-number">Page {pageNumber(view())}</span>
        <button
          type="button"
          disabled={!page.data()?.nextCursor}
          onClick={() => {
            const cursor = page.data()?.nextCursor;
            if (!cursor) return;
            clearSelection();
            go(nextPage(view(), cursor));
          }}
        >
          Next →
        </button>
      </div>
      <Show when={confirm()}>
        {(action) => (
          <ConfirmDialog
            title={`${action()} ${selected().size} jobs?`}
            message={<p>This applies to the {selected().size} selected jobs.</p>}
            confirmLabel={action()}
            danger={action() === "delete"}
            onConfirm={() => void runOnSelection(action())}
            onClose={() => setConfirm(null)}
          />
        )}
      </Show>
      <Show when={byFilter()}>
        {(action) => (
          <OperationDialog
            action={action()}
            filter={{
              queue: view().queue,
              state: view().state,
              type: view().type,
              priority: view().priority,
            }}
            estimate={filterCount()}
            onClose={() => setByFilter(null)}
          />
        )}
      </Show>
    </section>
  );
}
