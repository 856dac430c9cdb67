/** One bulk operation's progress: a bar over the estimate, the counts, and cancel while it runs. */
import type { Operation } from "@rqueue/shared/contract";
import { Show } from "solid-js";
import { ProgressBar } from "../../components/progress-bar.js";
import { formatCount, formatRelative } from "../../lib/format.js";

export function describeFilter(operation: Pick<Operation, "filter">) {
  const { queue, state, type, priority } = operation.filter;
  return `${queue} · ${state}${type ? ` · ${type}` : ""}${priority !== undefined ? ` · priority ${priority}` : ""}`;
}

export function OperationProgress(props: { operation: Operation; onCancel?: () => void }) {
  const percent = () =>
    props.operation.status === "completed"
      ? 100
      : props.operation.estimated > 0
        ? Math.min(99, (props.operation.examined / props.operation.estimated) * 100)
        : 0;
  return (
    <div class="operation" data-status={props.operation.status} data-testid="operation">
      <div class="operation-head">
        <strong>
          {props.operation.action} · {describeFilter(props.operation)}
        </strong>
        <span class="badge" data-op-status={props.operation.status}>
          {props.operation.status}
        </span>
      </div>
      <ProgressBar percent={percent()} />
      <p class="muted" data-testid="operation-counts">
        {formatCount(props.operation.applied)}{" "}
        {props.operation.action === "delete"
          ? "deleted"
          : `${props.operation.action === "retry" ? "retried" : "canceled"}`}
        {" · "}
        {formatCount(props.operation.skipped)} skipped · {formatCount(props.operation.examined)} of ~
        {formatCount(props.operation.estimated)} examined · started{" "}
        {formatRelative(props.operation.createdAt)} by {props.operation.createdBy}
      </p>
      <Show when={props.operation.error}>
        <p class="error-text">{props.operation.error}</p>
      </Show>
      <Show when={props.operation.status === "running" && props.onCancel}>
        <button type="button" class="danger" onClick={() => props.onCancel?.()}>
          Cancel operation
        </button>
      </Show>
    </div>
  );
}
