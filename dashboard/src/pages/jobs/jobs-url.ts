/**
 * The Jobs page's state lives in the URL, so a view can be shared and survives a
 * reload: queue, state, type, priority, page size, the search box's text, the
 * page's cursor and the cursors of the pages before it (for "previous"; the API's
 * cursors only go forward).
 */
import { DEFAULT_QUEUE, JOB_STATES, type JobState, LIMITS, PRIORITY } from "@rqueue/shared/contract";

export const PAGE_SIZES = [20, 50, 100, 200] as const;
const FIRST_PAGE = "-";

export interface JobsView {
  queue: string;
  state: JobState;
  type: string | undefined;
  priority: number | undefined;
  limit: number;
  cursor: string | undefined;
  /** Cursors of the previous pages, oldest first ("-" is the first page). */
  back: string[];
  /** The search box's text: when set, the page shows the archive's search results instead. */
  q: string | undefined;
}

export type JobsParams = Partial<
  Record<"queue" | "state" | "type" | "priority" | "limit" | "cursor" | "back" | "q", string>
>;

export function parseJobsView(params: JobsParams): JobsView {
  const state = (JOB_STATES as readonly string[]).includes(params.state ?? "")
    ? (params.state as JobState)
    : "pending";
  const priority = Number(params.priority);
  const limit = Number(params.limit);
  return {
    queue: params.queue || DEFAULT_QUEUE,
    state,
    type: params.type || undefined,
    priority:
      Number.isInteger(priority) && priority >= PRIORITY.min && priority <= PRIORITY.max
        ? priority
        : undefined,
    limit: Number.isInteger(limit) && limit >= 1 && limit <= LIMITS.listPageMax ? limit : 50,
    cursor: params.cursor || undefined,
    back: params.back ? params.back.split(",").filter(Boolean) : [],
    q: params.q?.trim() || undefined,
  };
}

/** Search params for a view; defaults are left out so URLs stay short. */
export function toJobsParams(view: JobsView): Record<string, string | undefined> {
  return {
    queue: view.queue === DEFAULT_QUEUE ? undefined : view.queue,
    state: view.state,
    type: view.type,
    priority: view.priority === undefined ? undefined : String(view.priority),
    limit: view.limit === 50 ? undefined : String(view.limit),
    cursor: view.cursor,
    back: view.back.length > 0 ? view.back.join(",") : undefined,
    q: view.q,
  };
}

/** A filter change starts again at the first page. */
export function withFilters(view: JobsView, changes: Partial<Omit<JobsView, "cursor" | "back">>): JobsView {
  return { ...view, ...changes, cursor: undefined, back: [] };
}

export function nextPage(view: JobsView, nextCursor: string): JobsView {
  return { ...view, back: [...view.back, view.cursor ?? FIRST_PAGE], cursor: nextCursor };
}

export function previousPage(view: JobsView): JobsView {
  if (view.back.length === 0) return view;
  const previous = view.back[view.back.length - 1];
  return { ...view, back: view.back.slice(0, -1), cursor: previous === FIRST_PAGE ? undefined : previous };
}

export const pageNumber = (view: JobsView) => view.back.length + 1;
