/**
 * Replay: a new job made from an existing one (same queue, type, backoff and
 * timeout) with the payload, priority, max attempts or delay edited, linked both
 * ways (`replayOf` on the new job, `replays` on the original). A replay has no
 * parents: it runs on its own, whatever became of the original's.
 *
 * The link is written by a second script right after the add; if the process dies
 * between the two, the replay exists and runs but carries no link.
 */
import * as v from "valibot";
import { type ReplayInput, ReplayInputSchema } from "../api/api-schemas.js";
import { ValidationError } from "../errors.js";
import { type Job, REPLAYS_KEPT } from "../job.js";
import { parseJobId } from "../job-id.js";
import type { RedisClient } from "../redis/connection.js";
import type { JobInput } from "../schemas/job-input.js";
import { resolveSettings } from "../settings.js";
import type { Queue } from "./queue.js";
import { createQueueContext } from "./queue-context.js";

export async function replayJob(
  redis: RedisClient,
  queue: Queue,
  id: string,
  edits: ReplayInput,
): Promise<Job> {
  const parsed = v.safeParse(ReplayInputSchema, edits);
  if (!parsed.success) throw ValidationError.fromValibot(parsed.issues);
  const original = await queue.getJobOrThrow(id);
  const input: JobInput = {
    type: original.type,
    payload: parsed.output.payload === undefined ? original.payload : parsed.output.payload,
    priority: parsed.output.priority ?? original.priority,
    maxAttempts: parsed.output.maxAttempts ?? original.maxAttempts,
  };
  if (parsed.output.delayMs) input.delayMs = parsed.output.delayMs;
  if (original.backoff) input.backoff = original.backoff;
  if (original.timeoutMs !== null) input.timeoutMs = original.timeoutMs;
  const { job } = await queue.submit(input);
  const context = createQueueContext(redis, queue.name, resolveSettings());
  await context.run("link-replay", [parseJobId(job.id).seq, parseJobId(id).seq, "", REPLAYS_KEPT]);
  return { ...job, replayOf: id };
}
