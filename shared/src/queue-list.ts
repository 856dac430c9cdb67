/**
 * The `RQ_QUEUES` list (`emails:3,default`): queue names with optional weights, parsed
 * once, in one place, for everyone who reads it — the worker (weights share out its
 * slots), the control plane (names become metric dimensions) and the infrastructure
 * (names become alarm and scaling dimensions). A weight never leaks into a name.
 */
import { QUEUE_NAME_PATTERN } from "./schemas/job-input.js";

export interface QueueWeight {
  name: string;
  /** Share of the worker's concurrency relative to the other queues. */
  weight: number;
}

export const MAX_QUEUE_WEIGHT = 1_000;

const ENTRY = /^([^:]+)(?::(\d+))?$/;

export type QueueListResult = { ok: true; queues: QueueWeight[] } | { ok: false; error: string };

export function parseQueueList(text: string): QueueListResult {
  const queues: QueueWeight[] = [];
  for (const entry of text.split(",").map((part) => part.trim())) {
    const [, name = "", weight = "1"] = ENTRY.exec(entry) ?? [];
    if (!QUEUE_NAME_PATTERN.test(name) || Number(weight) < 1 || Number(weight) > MAX_QUEUE_WEIGHT) {
      return {
        ok: false,
        error: `"${entry}" is not <queue>[:<weight>] (queue: letters, digits, '_', '.', '-'; weight 1-${MAX_QUEUE_WEIGHT})`,
      };
    }
    if (queues.some((queue) => queue.name === name)) {
      return { ok: false, error: `queue "${name}" is listed twice` };
    }
    queues.push({ name, weight: Number(weight) });
  }
  return { ok: true, queues };
}
