/**
 * The jobs table: state badges, progress bars, relative times, and selection by
 * checkbox with shift-click ranges. Rows link to the job's detail.
 */
import type { Job } from "@rqueue/shared/contract";
import { A } from "@solidjs/router";
import { Show } from "solid-js";
import { DataTable, num } from "../../components/data-table.js";
import { ProgressBar } from "../../components/progress-bar.js";
import { StateBadge } from "../../components/state-badge.js";
import { formatRelative, formatTimestamp } from "../../lib/format.js";

export interface JobsTableProps {
  rows: Job[];
  selected: ReadonlySet<string>;
  selectable: boolean;
  now: number;
  /** index: the row's position, for shift-click ranges. */
  onToggle: (id: string, index: number, range: boolean) => void;
  onToggleAll: (select: boolean) => void;
}

export function JobsTable(props: JobsTableProps) {
  const allSelected = () => props.rows.length > 0 && props.rows.every((job) => props.selected.has(job.id));
  const lastActivity = (job: Job) => job.finishedAt ?? job.startedAt ?? job.createdAt;
  return (
    <DataTable
      testId="jobs-table"
      class="jobs-table"
      columns={[
        props.selectable && {
          class: "select",
          label: (
            <input
              type="checkbox"
              aria-label="Select all on this page"
              checked={allSelected()}
              onChange={(event) => props.onToggleAll(event.currentTarget.checked)}
            />
          ),
        },
        "Id",
        "Type",
        "State",
        num("Priority"),
        num("Attempts"),
        "Progress",
        "Created",
        "Last activity",
      ]}
      rows={props.rows}
    >
      {(job, index) => (
        <tr classList={{ selected: props.selected.has(job.id) }} data-job-id={job.id}>
          <Show when={props.selectable}>
            <td class="select">
              <input
                type="checkbox"
                aria-label={`Select ${job.id}`}
                checked={props.selected.has(job.id)}
                onClick={(event) => props.onToggle(job.id, index(), event.shiftKey)}
              />
            </td>
          </Show>
          <td>
            <A href={`/jobs/${encodeURIComponent(job.id)}`} class="mono">
              {job.id}
            </A>
          </td>
          <td class="mono">{job.type}</td>
          <td>
            <StateBadge state={job.state} />
          </td>
          <td class="num">{job.priority}</td>
          <td class="num">
            {job.attempts}/{job.maxAttempts}
          </td>
          <td>
            <Show
              when={job.state === "completed" ? { percent: 100 } : job.progress}
              fallback={<span class="muted">—</span>}
            >
              {(progress) => <ProgressBar percent={progress().percent} />}
            </Show>
          </td>
          <td title={formatTimestamp(job.createdAt)}>{formatRelative(job.createdAt, props.now)}</td>
          <td title={formatTimestamp(lastActivity(job))}>{formatRelative(lastActivity(job), props.now)}</td>
        </tr>
      )}
    </DataTable>
  );
}
