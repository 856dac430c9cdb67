/**
 * Replay: a new job of the same type and queue, with the payload (and priority,
 * max attempts, delay) edited first. The edits are checked with the API's own
 * schema before sending; the new job records which job it replays.
 */
import { type Job, ReplayInputSchema } from "@rqueue/shared/contract";
import { useNavigate } from "@solidjs/router";
import { createSignal } from "solid-js";
import * as v from "valibot";
import { FormProblem } from "../../components/form-problem.js";
import { Modal } from "../../components/modal.js";
import { notify } from "../../components/notices.js";
import { api, describeError } from "../../lib/api.js";

export function ReplayDialog(props: { job: Job; onClose: () => void }) {
  const navigate = useNavigate();
  const [problem, setProblem] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  return (
    <Modal title={`Replay ${props.job.id}`} onClose={props.onClose} wide>
      <form
        class="form"
        onSubmit={async (event) => {
          event.preventDefault();
          const form = event.currentTarget;
          const field = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value;
          let payload: unknown;
          try {
            payload = JSON.parse(field("payload"));
          } catch (error) {
            setProblem(`payload: not valid JSON (${(error as Error).message})`);
            return;
          }
          const parsed = v.safeParse(ReplayInputSchema, {
            payload,
            priority: Number(field("priority")),
            maxAttempts: Number(field("maxAttempts")),
            delayMs: Number(field("delayMs")),
          });
          if (!parsed.success) {
            setProblem(
              parsed.issues.map((issue) => `${v.getDotPath(issue) ?? "input"}: ${issue.message}`).join("; "),
            );
            return;
          }
          setBusy(true);
          try {
            const replay = await api.replayJob(props.job.id, parsed.output);
            notify(`Replayed as ${replay.id}`);
            props.onClose();
            navigate(`/jobs/${encodeURIComponent(replay.id)}`);
          } catch (error) {
            setProblem(describeError(error));
          } finally {
            setBusy(false);
          }
        }}
      >
        <label>
          Payload (JSON)
          <textarea name="payload" rows={12} spellcheck={false} class="mono">
            {JSON.stringify(props.job.payload, null, 2)}
          </textarea>
        </label>
        <div class="form-row">
          <label>
            Priority
            <input name="priority" type="number" min="1" max="10" value={props.job.priority} />
          </label>
          <label>
            Max attempts
            <input name="maxAttempts" type="number" min="1" max="100" value={props.job.maxAttempts} />
          </label>
          <label>
            Delay (ms)
            <input name="delayMs" type="number" min="0" value="0" />
          </label>
        </div>
        <FormProblem text={problem()} />
        <div class="modal-actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy()}>
            Replay
          </button>
        </div>
      </form>
    </Modal>
  );
}
