/**
 * Rate limits and fair queuing on the Queues page: each queue's rules (with a
 * remove button for admins), what they allow now per type (starts allowed, the
 * next slot when a rate holds them, running against the concurrency, groups
 * taking turns, parked and waiting for a slot), and an admin form that sets a rule.
 */
import type { FlowRule, FlowScope, QueueFlowResponse } from "@rqueue/shared/contract";
import { createSignal, For, Show } from "solid-js";
import { ACTIONS, DataTable, num } from "../../components/data-table.js";
import { api } from "../../lib/api.js";
import { formatCount, formatDuration, formatRelative } from "../../lib/format.js";
import { canAdmin } from "../../lib/session.js";

export function scopeLabel(scope: FlowScope): string {
  if (scope.scope === "queue") return "whole queue";
  return scope.scope === "type" ? `type ${scope.type}` : `each group of ${scope.type}`;
}

export function rateLabel(rule: FlowRule): string {
  if (!rule.rate) return "—";
  const { limit, windowMs, burst } = rule.rate;
  return `${formatCount(limit)} per ${formatDuration(windowMs)}, burst ${formatCount(burst ?? 1)}`;
}

const allowedLabel = (allowed: number | null) => (allowed === null ? "unlimited" : formatCount(allowed));

/** The next slot: a time when a rate decides it, "when a job ends" when a full concurrency does. */
const nextLabel = (allowed: number | null, nextAt: string | null) =>
  nextAt ? formatRelative(nextAt) : allowed === 0 ? "when a job ends" : "now";

type Act = (label: string, action: () => Promise<unknown>) => Promise<void>;

export function FlowPanel(props: { flows: QueueFlowResponse[]; queues: string[]; act: Act }) {
  const rules = () =>
    props.flows.flatMap((flow) => flow.rules.map((entry) => ({ queue: flow.name, ...entry })));
  const rows = () =>
    props.flows.flatMap((flow) => [
      ...(flow.rules.some((entry) => entry.scope.scope === "queue")
        ? [{ queue: flow.name, type: null, running: null, ...flow.queue, groups: null }]
        : []),
      ...flow.types.map((type) => ({ queue: flow.name, ...type, groups: type })),
    ]);
  const concurrencyOf = (queue: string, type: string | null) =>
    props.flows
      .find((flow) => flow.name === queue)
      ?.rules.find((entry) =>
        type === null
          ? entry.scope.scope === "queue"
          : entry.scope.scope === "type" && entry.scope.type === type,
      )?.rule.concurrency;
  return (
    <>
      <h2>Rate limits and fair queuing</h2>
      <Show
        when={rules().length > 0 || rows().length > 0}
        fallback={<p class="muted">No queue has a rate limit, a concurrency limit or grouped jobs.</p>}
      >
        <Show when={rules().length > 0}>
          <DataTable
            testId="flow-rules-table"
            columns={["Queue", "Applies to", "Rate", num("Concurrency"), canAdmin() && ACTIONS]}
            rows={rules()}
          >
            {(entry) => (
              <tr data-flow-rule={`${entry.queue}/${scopeLabel(entry.scope)}`}>
                <td class="mono">{entry.queue}</td>
                <td>{scopeLabel(entry.scope)}</td>
                <td>{rateLabel(entry.rule)}</td>
                <td class="num">{entry.rule.concurrency ?? "—"}</td>
                <Show when={canAdmin()}>
                  <td>
                    <button
                      type="button"
                      onClick={() =>
                        props.act(`Removed the rule of ${scopeLabel(entry.scope)}`, () =>
                          api.removeFlowRule(entry.queue, entry.scope),
                        )
                      }
                    >
                      Remove
                    </button>
                  </td>
                </Show>
              </tr>
            )}
          </DataTable>
        </Show>
        <Show when={rows().length > 0}>
          <DataTable
            testId="flow-state-table"
            columns={[
              "Queue",
              "Type",
              num("Allowed now"),
              "Next slot",
              num("Running"),
              num("Groups active"),
              num("Parked"),
              num("Waiting for slot"),
            ]}
            rows={rows()}
          >
            {(row) => (
              <tr data-flow-state={`${row.queue}/${row.type ?? ""}`}>
                <td class="mono">{row.queue}</td>
                <td class="mono">{row.type ?? "whole queue"}</td>
                <td class="num">{allowedLabel(row.allowedNow)}</td>
                <td>{nextLabel(row.allowedNow, row.nextAt)}</td>
                <td class="num" data-flow-running>
                  {row.running === null ? "—" : formatCount(row.running)}
                  <Show when={concurrencyOf(row.queue, row.type)}>{(limit) => ` / ${limit()}`}</Show>
                </td>
                <td class="num">{row.groups ? formatCount(row.groups.groupsActive) : "—"}</td>
                <td class="num">{row.groups ? formatCount(row.groups.groupsParked) : "—"}</td>
                <td class="num">{row.groups ? formatCount(row.groups.groupsWaitingForSlot) : "—"}</td>
              </tr>
            )}
          </DataTable>
        </Show>
      </Show>
      <Show when={canAdmin()}>
        <FlowRuleForm queues={props.queues} act={props.act} />
      </Show>
    </>
  );
}

function FlowRuleForm(props: { queues: string[]; act: Act }) {
  const [scope, setScope] = createSignal<FlowScope["scope"]>("type");
  return (
    <form
      class="form"
      data-testid="flow-rule-form"
      onSubmit={(event) => {
        event.preventDefault();
        const form = event.currentTarget;
        const text = (name: string) =>
          ((form.elements.namedItem(name) as HTMLInputElement | null)?.value ?? "").trim();
        const number = (name: string) => (text(name) === "" ? undefined : Number(text(name)));
        const queue = text("queue");
        const type = text("type");
        const target: FlowScope = scope() === "queue" ? { scope: "queue" } : { scope: scope(), type };
        const limit = number("limit");
        const windowSeconds = number("window");
        const burst = number("burst");
        const concurrency = number("concurrency");
        const rule: FlowRule = {
          ...(limit !== undefined || windowSeconds !== undefined
            ? {
                rate: {
                  limit: limit ?? Number.NaN,
                  windowMs: Math.round((windowSeconds ?? Number.NaN) * 1000),
                  ...(burst !== undefined ? { burst } : {}),
                },
              }
            : {}),
          ...(concurrency !== undefined ? { concurrency } : {}),
        };
        // The API checks the rule and names the wrong field.
        void props.act(`Set the rule of ${scopeLabel(target)} on ${queue}`, () =>
          api.setFlowRule(queue, target, rule),
        );
      }}
    >
      <h3>Set a rule</h3>
      <div class="form-row">
        <label>
          Queue
          <input name="queue" list="flow-queues" value={props.queues[0] ?? "default"} required />
          <datalist id="flow-queues">
            <For each={props.queues}>{(name) => <option value={name} />}</For>
          </datalist>
        </label>
        <label>
          Applies to
          <select
            name="scope"
            value={scope()}
            onChange={(event) => setScope(event.currentTarget.value as FlowScope["scope"])}
          >
            <option value="queue">whole queue</option>
            <option value="type">one job type</option>
            <option value="group">each group of a type</option>
          </select>
        </label>
        <Show when={scope() !== "queue"}>
          <label>
            Type
            <input name="type" placeholder="email.send" required />
          </label>
        </Show>
      </div>
      <div class="form-row">
        <label>
          Starts
          <input name="limit" type="number" min="1" step="1" placeholder="no rate" />
        </label>
        <label>
          per (seconds)
          <input name="window" type="number" min="0.001" step="any" placeholder="1" />
        </label>
        <label>
          Burst
          <input name="burst" type="number" min="1" step="1" placeholder="50 ms of the rate" />
        </label>
        <label>
          Concurrency
          <input name="concurrency" type="number" min="1" step="1" placeholder="no limit" />
        </label>
        <button type="submit">Set rule</button>
      </div>
      <p class="muted">
        A rate allows its starts paced evenly over the window (at most starts + burst in any window);
        concurrency counts running jobs across every worker. Limited jobs stay pending and spend no attempt.
      </p>
    </form>
  );
}
