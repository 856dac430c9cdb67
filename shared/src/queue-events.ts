/**
 * The format of a queue's events stream (`rq:{queue}:events`), written by the Lua
 * scripts (scripts/includes/events.lua) and read by anyone who waits on jobs.
 * Each entry is `e <event> j <seqs> [detail fields]`, where `event` is the job's
 * new state (or `progress`, `removed`) and `seqs` is one job's seq or several,
 * comma-separated, when a script call batched the same event for many jobs; a run
 * of consecutive seqs is written `<first>-<last>`.
 */
export interface QueueEvent {
  event: string;
  /** Seqs of the jobs the entry is about (see `formatJobId`). */
  seqs: string[];
  /** Extra fields such as `reason`, `progress`, `parent`. */
  detail: Record<string, string>;
}

/** The seqs of a `j` field: '1-4,7' -> 1, 2, 3, 4, 7 (entries from before runs are plain lists). */
export function decodeEventSeqs(value: string): string[] {
  const seqs: string[] = [];
  for (const part of value.split(",")) {
    const dash = part.indexOf("-");
    if (dash < 0) {
      seqs.push(part);
      continue;
    }
    const last = Number(part.slice(dash + 1));
    for (let seq = Number(part.slice(0, dash)); seq <= last; seq++) seqs.push(String(seq));
  }
  return seqs;
}

/** Decodes one stream entry's flat field list. */
export function decodeQueueEvent(fields: readonly string[]): QueueEvent {
  const event: QueueEvent = { event: "", seqs: [], detail: {} };
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i] as string;
    const value = fields[i + 1] as string;
    if (name === "e") event.event = value;
    else if (name === "j") event.seqs = decodeEventSeqs(value);
    else event.detail[name] = value;
  }
  return event;
}
