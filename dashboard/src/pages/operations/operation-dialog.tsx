/**
 * Confirms a bulk action over everything a filter selects (not just the page):
 * shows the count first, then starts a server-side operation and follows it.
 */
import type { JobFilter, OperationAction } from "@rqueue/shared/contract";
import { useNavigate } from "@solidjs/router";
import { createSignal } from "solid-js";
import { FormProblem } from "../../components/form-problem.js";
import { Modal } from "../../components/modal.js";
import { api, describeError } from "../../lib/api.js";
import { formatCount } from "../../lib/format.js";
import { describeFilter } from "./operation-progress.js";

export default function OperationDialog(props: {
  action: OperationAction;
  filter: JobFilter;
  estimate: number | null;
  onClose: () => void;
}) {
  const navigate = useNavigate();
  const [problem, setProblem] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const countText = () => {
    if (props.estimate === null) return "an unknown number of";
    return props.filter.priority !== undefined
      ? `up to ${formatCount(props.estimate)}`
      : formatCount(props.estimate);
  };
  return (
    <Modal title={`${props.action} all matching jobs?`} onClose={props.onClose}>
      <div class="modal-body">
        <p data-testid="operation-estimate">
          This will {props.action} <strong>{countText()}</strong> jobs:{" "}
          {describeFilter({ filter: props.filter })}.
        </p>
        <p class="muted">It runs on the server in chunks; you can follow it and cancel it.</p>
        <FormProblem text={problem()} />
      </div>
      <div class="modal-actions">
        <button type="button" onClick={props.onClose}>
          Cancel
        </button>
        <button
          type="button"
          classList={{ danger: props.action === "delete", primary: props.action !== "delete" }}
          disabled={busy()}
          onClick={async () => {
            setBusy(true);
            try {
              const operation = await api.createOperation({ action: props.action, filter: props.filter });
              props.onClose();
              navigate(`/operations/${encodeURIComponent(operation.id)}`);
            } catch (error) {
              setProblem(describeError(error));
            } finally {
              setBusy(false);
            }
          }}
        >
          Start: {props.action} {countText()}
        </button>
      </div>
    </Modal>
  );
}
