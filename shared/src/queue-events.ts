/**
 * The format of a queue's events stream (`rq:{queue}:events`), written by the Lua
 * scripts (scripts/includes/events.lua) and read by anyone who waits on jobs.
 * Each entry is `e <event> j <seqs> [detail fields]`, where `event` is the job's
 * new state (or `progress`, `removed`) and `seqs` is one job's seq or several,
 * comma-separated, when a script call batched the same event for many jobs.
 */
export interface QueueEvent {
  event: string;
  /** Seqs of the jobs the entry is about (see `formatJobId`). */
  seqs: string[];
  /** Extra fields such as `reason`, `progress`, `parent`. */
  detail: Record<string, string>;
}

/** Decodes one stream entry's flat field list. */
export function decodeQueueEvent(fields: readonly string[]): QueueEvent {
  const event: QueueEvent = { event: "", seqs: [], detail: {} };
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i] as string;
    const value = fields[i + 1] as string;
    if (name === "e") event.event = value;
    else if (name === "j") event.seqs = value.split(",");
    else event.detail[name] = value;
  }
  return event;
}
