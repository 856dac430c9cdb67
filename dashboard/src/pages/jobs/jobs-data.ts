/**
 * The Jobs page's data: the page of the current view, polled (paused while rows
 * are selected); the queues (names, types, exact counts for bulk estimates); and
 * the "N new" hold-back, so arrivals at the top never shift the rows under the
 * viewer's pointer.
 */
import type { Job, JobPage } from "@rqueue/shared/contract";
import { type Accessor, createEffect, createMemo, createSignal } from "solid-js";
import { api } from "../../lib/api.js";
import { createPoll } from "../../lib/poll.js";
import type { JobsView } from "./jobs-url.js";
import { searchParams } from "./search-query.js";

export function createJobsData(view: Accessor<JobsView>, paused: Accessor<boolean>) {
  const key = createMemo(() => JSON.stringify(view()));
  const page = createPoll(
    () => {
      const { queue, state, type, priority, limit, cursor, q } = view();
      // With search text, the page is the archive's answer (finished jobs, newest first).
      if (q)
        return api.searchJobs({ ...searchParams(q, queue), limit: String(Math.min(limit, 200)), cursor });
      return api.listJobs({ queue, state, type, priority, limit, cursor });
    },
    { key, paused },
  );
  const queues = createPoll(() => api.queues(), { paused });
  return { page, queues, key };
}

export interface HeldRows {
  rows: Accessor<Job[]>;
  /** Jobs that arrived above the shown rows since the viewer last looked. */
  newCount: Accessor<number>;
  showNew: () => void;
}

/**
 * Rows as shown: the latest page, less the jobs that arrived above the first row
 * already shown. Known rows update in place (state, progress); rows that left the
 * filter disappear. `showNew` lets the arrivals in.
 */
export function holdNewRows(page: Accessor<JobPage | undefined>, viewKey: Accessor<string>): HeldRows {
  const [shown, setShown] = createSignal<Set<string> | null>(null);
  let shownFor = "";
  const split = createMemo(() => {
    const items = page()?.items ?? [];
    const known = shown();
    if (viewKey() !== shownFor || known === null) return { rows: items, held: [] as Job[] };
    const firstKnown = items.findIndex((job) => known.has(job.id));
    if (firstKnown <= 0) return { rows: items, held: [] as Job[] };
    const held = items.slice(0, firstKnown).filter((job) => !known.has(job.id));
    return { rows: items.filter((job) => !held.includes(job)), held };
  });
  // Remember what is on screen once per view; afterwards only `showNew` widens it.
  createEffect(() => {
    const items = page()?.items;
    if (!items) return;
    if (viewKey() !== shownFor) {
      shownFor = viewKey();
      setShown(new Set(items.map((job) => job.id)));
    } else {
      const current = shown();
      const heldIds = new Set(split().held.map((job) => job.id));
      const visible = items.filter((job) => !heldIds.has(job.id)).map((job) => job.id);
      if (current && visible.some((id) => !current.has(id))) setShown(new Set([...current, ...visible]));
    }
  });
  return {
    rows: () => split().rows,
    newCount: () => split().held.length,
    showNew: () => setShown(new Set((page()?.items ?? []).map((job) => job.id))),
  };
}
