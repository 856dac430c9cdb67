/**
 * Simulate: submits jobs of the types workers registered on a queue (GET
 * /v1/types), the payload's inputs built from each type's advertised JSON Schema,
 * so an operator can watch priorities, retries, the dead-letter queue, the
 * circuit breaker and autoscaling with any handler, built-in or their own.
 */
import { DEFAULT_QUEUE, type JsonValue } from "@rqueue/shared/contract";
import { createMemo, createResource, createSignal, For, Show } from "solid-js";
import { FormProblem } from "../../components/form-problem.js";
import { Modal } from "../../components/modal.js";
import { notify } from "../../components/notices.js";
import { api, describeError } from "../../lib/api.js";
import { formatCount } from "../../lib/format.js";
import { payloadFields, payloadFromFields } from "./schema-fields.js";
import { buildBatch, MAX_SIMULATED_JOBS, type SimulatePlan } from "./simulate-plan.js";

export default function SimulateDialog(props: { onClose: () => void }) {
  const [queue, setQueue] = createSignal(DEFAULT_QUEUE);
  const [types] = createResource(queue, async (name) => (await api.types(name)).types);
  const [chosen, setChosen] = createSignal("");
  // The chosen type while it is registered, else the first one (sleep when there is one).
  const type = createMemo(() => {
    const list = types() ?? [];
    return (
      list.find((entry) => entry.type === chosen()) ??
      list.find((entry) => entry.type === "sleep") ??
      list[0] ??
      null
    );
  });
  const fields = createMemo(() => payloadFields(type()?.schema ?? null));
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
          const chosenType = type();
          if (!chosenType) {
            setProblem(`type: no worker has registered a job type on queue ${queue()}`);
            return;
          }
          const simple = fields();
          let payload: JsonValue;
          if (simple) {
            payload = payloadFromFields(simple, (name) => {
              const input = form.elements.namedItem(`payload.${name}`) as HTMLInputElement | null;
              return input?.type === "checkbox" ? String(input.checked) : (input?.value ?? "");
            });
          } else {
            try {
              payload = JSON.parse(text("payload") || "{}") as JsonValue;
            } catch {
              setProblem("payload: must be JSON");
              return;
            }
          }
          void submit({
            queue: queue(),
            type: chosenType.type,
            count,
            priority: text("priority") === "spread" ? "spread" : number("priority", 5),
            payload,
            delayMs: number("delayMs", 0),
            maxAttempts: number("maxAttempts", 3),
            group: text("group").trim(),
            groups: number("groups", 1),
            chain: (form.elements.namedItem("chain") as HTMLInputElement).checked,
          });
        }}
      >
        <div class="form-row">
          <label>
            Queue
            <input
              name="queue"
              value={queue()}
              onChange={(event) => setQueue(event.currentTarget.value.trim() || DEFAULT_QUEUE)}
            />
          </label>
          <label>
            Type
            <select
              name="type"
              value={type()?.type ?? ""}
              onChange={(event) => setChosen(event.currentTarget.value)}
            >
              <For each={types() ?? []}>
                {(entry) => (
                  <option value={entry.type}>
                    {entry.type}
                    {entry.workers.length === 0 ? " (no live worker)" : ""}
                  </option>
                )}
              </For>
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
          <Show
            when={fields()}
            fallback={
              <label>
                Payload (JSON)
                <textarea name="payload" rows="3">
                  {"{}"}
                </textarea>
              </label>
            }
          >
            {(simple) => (
              <For each={simple()}>
                {(field) =>
                  field.kind === "boolean" ? (
                    <label class="check">
                      <input
                        name={`payload.${field.name}`}
                        type="checkbox"
                        checked={field.initial === "true"}
                      />{" "}
                      {field.name}
                    </label>
                  ) : field.kind === "enum" ? (
                    <label>
                      {field.name}
                      <select name={`payload.${field.name}`} value={field.initial}>
                        <For each={field.options ?? []}>
                          {(option) => <option value={option}>{option}</option>}
                        </For>
                      </select>
                    </label>
                  ) : (
                    <label>
                      {field.name}
                      {field.required ? "" : " (optional)"}
                      <input
                        name={`payload.${field.name}`}
                        type={field.kind === "string" ? "text" : "number"}
                        step={field.kind === "number" ? "any" : "1"}
                        min={field.minimum}
                        max={field.maximum}
                        value={field.initial}
                        required={field.required}
                      />
                    </label>
                  )
                }
              </For>
            )}
          </Show>
          <label>
            Delay (ms)
            <input name="delayMs" type="number" min="0" value="0" />
          </label>
          <label>
            Max attempts
            <input name="maxAttempts" type="number" min="1" max="100" value="3" />
          </label>
          <label>
            Group (optional)
            <input name="group" placeholder="tenant" />
          </label>
          <label>
            Spread over groups
            <input name="groups" type="number" min="1" max="1000" value="1" />
          </label>
        </div>
        <label class="check">
          <input name="chain" type="checkbox" /> Chain them: each job depends on the one before
        </label>
        <FormProblem text={problem()} />
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
