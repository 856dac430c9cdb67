/**
 * Job ids name their queue (`<queue>:<seq>`), so any process can find a job from
 * its id alone in O(1), on Redis Cluster too (the queue is the hash tag).
 */
import { ValidationError } from "./errors.js";
import { QUEUE_NAME_PATTERN } from "./schemas/job-input.js";

export interface ParsedJobId {
  queue: string;
  seq: string;
}

export const formatJobId = (queue: string, seq: string) => `${queue}:${seq}`;

export function parseJobId(id: string): ParsedJobId {
  const separator = id.lastIndexOf(":");
  const queue = id.slice(0, separator);
  const seq = id.slice(separator + 1);
  if (separator <= 0 || !QUEUE_NAME_PATTERN.test(queue) || !/^[1-9]\d{0,15}$/.test(seq)) {
    throw new ValidationError([{ path: "id", message: "must be a job id of the form <queue>:<number>" }]);
  }
  return { queue, seq };
}
