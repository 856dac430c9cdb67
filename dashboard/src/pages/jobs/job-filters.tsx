/** The Jobs page's filters: queue, state, type, priority, page size. */
import { JOB_STATES, PRIORITY } from "@rqueue/shared/contract";
import { For } from "solid-js";
import { type JobsView, PAGE_SIZES } from "./jobs-url.js";

export interface JobFiltersProps {
  view: JobsView;
  queues: string[];
  types: string[];
  onChange: (changes: Partial<Omit<JobsView, "cursor" | "back">>) => void;
}

const priorities = Array.from({ length: PRIORITY.max - PRIORITY.min + 1 }, (_, i) => PRIORITY.max - i);

export function JobFilters(props: JobFiltersProps) {
  const queueNames = () =>
    props.queues.includes(props.view.queue) ? props.queues : [props.view.queue, ...props.queues];
  const typeNames = () =>
    props.view.type && !props.types.includes(props.view.type)
      ? [props.view.type, ...props.types]
      : props.types;
  return (
    <search class="filters">
      <label>
        Queue
        <select
          name="queue"
          value={props.view.queue}
          onChange={(event) => props.onChange({ queue: event.currentTarget.value, type: undefined })}
        >
          <For each={queueNames()}>{(name) => <option value={name}>{name}</option>}</For>
        </select>
      </label>
      <label>
        State
        <select
          name="state"
          value={props.view.state}
          onChange={(event) => props.onChange({ state: event.currentTarget.value as JobsView["state"] })}
        >
          <For each={JOB_STATES}>{(state) => <option value={state}>{state}</option>}</For>
        </select>
      </label>
      <label>
        Type
        <select
          name="type"
          value={props.view.type ?? ""}
          onChange={(event) => props.onChange({ type: event.currentTarget.value || undefined })}
        >
          <option value="">any</option>
          <For each={typeNames()}>{(type) => <option value={type}>{type}</option>}</For>
        </select>
      </label>
      <label>
        Priority
        <select
          name="priority"
          value={props.view.priority === undefined ? "" : String(props.view.priority)}
          onChange={(event) =>
            props.onChange({
              priority: event.currentTarget.value ? Number(event.currentTarget.value) : undefined,
            })
          }
        >
          <option value="">any</option>
          <For each={priorities}>{(priority) => <option value={String(priority)}>{priority}</option>}</For>
        </select>
      </label>
      <label>
        Page size
        <select
          name="limit"
          value={String(props.view.limit)}
          onChange={(event) => props.onChange({ limit: Number(event.currentTarget.value) })}
        >
          <For each={PAGE_SIZES}>{(size) => <option value={String(size)}>{size}</option>}</For>
        </select>
      </label>
    </search>
  );
}
