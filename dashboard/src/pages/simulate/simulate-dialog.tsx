/**
 * Simulate: submits jobs of the built-in types so an operator can watch
 * priorities, retries, the dead-letter queue, the circuit breaker and autoscaling.
 */
import { DEFAULT_QUEUE } from "@rqueue/shared/contract";
import { createSignal, For, Show } from "solid-js";
import { Modal } from "../../components/modal.js";
import { notify } from "../../components/notices.js";
import { api, describeError } from "../../lib/api.js";
import { formatCount } from "../../lib/format.js";
import {
  buildBatch,
  MAX_SIMULATED_JOBS,
  SIMULATED_TYPES,
  type SimulatedType,
  type SimulatePlan,
} from "./simulate-plan.js";

export default function SimulateDialog(props: { onClose: () => void }) {
  const [type, setType] = createSignal<SimulatedType>("sleep");
  const [sent, setSent] = createSignal<number | null>(null);
  const [problem, setProblem] = createSignal("");

  const submit = async (plan: SimulatePlan) => {
    setProblem("");
    setSent(0);
    let previous: string | null = null;
    try {
      for (let start = 0; start < plan.count; start += 1000) {
        const { jobs } = await api.submitBatch(buildBatch(plan, start, previous));
        previous = jobs.at(-1)?.id ?? previous;
        setSent(start + jobs.length);
      }
      notify(`Submitted ${formatCount(plan.count)} ${plan.type} jobs to ${plan.queue}`);
      props.onClose();
    } catch (error) {
      setProblem(describeError(error));
      setSent(null);
    }
  };

  return (
    <Modal title="Simulate jobs" onClose={props.onClose} wide>
      <form
        class="form"
        data-testid="simulate-form"
        onSubmit={(event) => {
          event.preventDefault();
          const form = event.currentTarget;
          const text = (name: string) =>
            (form.elements.namedItem(name) as HTMLInputElement | null)?.value ?? "";
          const number = (name: string, fallback: number) => {
            const value = Number(text(name));
            return text(name) === "" || Number.isNaN(value) ? fallback : value;
          };
          const count = number("count", 10);
          if (!Number.isInteger(count) || count < 1 || count > MAX_SIMULATED_JOBS) {
            setProblem(`count: must be 1 to ${formatCount(MAX_SIMULATED_JOBS)}`);
            return;
          }
          void submit({
            queue: text("queue") || DEFAULT_QUEUE,
            type: type(),
            count,
            priority: text("priority") === "spread" ? "spread" : number("priority", 5),
            sleepMs: number("sleepMs", 500),
            cpuRounds: number("cpuRounds", 20_000),
            failureRate: number("failureRate", 0.3),
            failMessage: text("failMessage"),
            unrecoverable:
              (form.elements.namedItem("unrecoverable") as HTMLInputElement | null)?.checked ?? false,
            delayMs: number("delayMs", 0),
            maxAttempts: number("maxAttempts", 3),
            chain: (form.elements.namedItem("chain") as HTMLInputElement).checked,
          });
        }}
      >
        <div class="form-row">
          <label>
            Queue
            <input name="queue" value={DEFAULT_QUEUE} />
          </label>
          <label>
            Type
            <select
              name="type"
              value={type()}
              onChange={(event) => setType(event.currentTarget.value as SimulatedType)}
            >
              <For each={SIMULATED_TYPES}>{(name) => <option value={name}>{name}</option>}</For>
            </select>
          </label>
          <label>
            Count
            <input name="count" type="number" min="1" max={MAX_SIMULATED_JOBS} value="20" />
          </label>
          <label>
            Priority
            <select name="priority" value="5">
              <option value="spread">spread 1–10</option>
              <For each={[10, 9, 8, 7, 6, 5, 4, 3, 2, 1]}>
                {(p) => <option value={String(p)}>{p}</option>}
              </For>
            </select>
          </label>
        </div>
        <div class="form-row">
          <Show when={type() === "sleep" || type() === "flaky"}>
            <label>
              Duration (ms)
              <input name="sleepMs" type="number" min="0" value="500" />
            </label>
          </Show>
          <Show when={type() === "cpu"}>
            <label>
              Rounds (SHA-256)
              <input name="cpuRounds" type="number" min="1" value="20000" />
            </label>
          </Show>
          <Show when={type() === "flaky"}>
            <label>
              Failure rate (0–1)
              <input name="failureRate" type="number" min="0" max="1" step="0.05" value="0.3" />
            </label>
          </Show>
          <Show when={type() === "fail"}>
            <label>
              Message
              <input name="failMessage" value="simulated failure" />
            </label>
            <label class="check">
              <input name="unrecoverable" type="checkbox" /> unrecoverable (no retry)
            </label>
          </Show>
          <label>
            Delay (ms)
            <input name="delayMs" type="number" min="0" value="0" />
          </label>
          <label>
            Max attempts
            <input name="maxAttempts" type="number" min="1" max="100" value="3" />
          </label>
        </div>
        <label class="check">
          <input name="chain" type="checkbox" /> Chain them: each job depends on the one before
        </label>
        <Show when={problem()}>
          <p class="error-text" role="alert">
            {problem()}
          </p>
        </Show>
        <div class="modal-actions">
          <Show when={sent() !== null}>
            <span class="muted">{formatCount(sent() ?? 0)} sent…</span>
          </Show>
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={sent() !== null}>
            Submit
          </button>
        </div>
      </form>
    </Modal>
  );
}
