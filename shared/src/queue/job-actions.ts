/**
 * Single-job admin actions (cancel, retry, remove): each is one script call whose
 * domain failures come back as codes and become typed errors here.
 */
import { errorFromScriptCode, SCRIPT_CODES } from "../errors.js";
import { formatJobId } from "../job-id.js";
import type { JobState } from "../schemas/job-state.js";
import type { ScriptName } from "../scripts/load-scripts.js";
import { countJobs } from "./list-jobs.js";
import type { QueueContext } from "./queue-context.js";

async function jobAction(
  ctx: QueueContext,
  script: ScriptName,
  action: string,
  seq: string,
): Promise<JobState> {
  const [code, state] = (await ctx.run(script, [seq])) as [number, string];
  if (code !== SCRIPT_CODES.ok) throw errorFromScriptCode(code, formatJobId(ctx.name, seq), state, action);
  return state as JobState;
}

/** Cancels a non-final job; returns the state it was canceled from. */
export const cancelJob = (ctx: QueueContext, seq: string) => jobAction(ctx, "cancel-job", "cancel", seq);

/** Sends a failed or canceled job back with attempts reset; with cascade, re-arms its failed dependents. */
export async function retryJob(ctx: QueueContext, seq: string, cascade: boolean): Promise<JobState> {
  const flag = cascade ? "1" : "";
  let [code, state, more] = (await ctx.run("retry-job", [seq, flag])) as [number, string, number];
  if (code !== SCRIPT_CODES.ok) throw errorFromScriptCode(code, formatJobId(ctx.name, seq), state, "retry");
  const newState = state as JobState;
  // Large graphs are re-armed in bounded chunks.
  while (more === 1)
    [code, state, more] = (await ctx.run("retry-job", ["", flag])) as [number, string, number];
  return newState;
}

/** Deletes a job in a final state; returns that state. */
export const removeJob = (ctx: QueueContext, seq: string) => jobAction(ctx, "remove-job", "remove", seq);

/**
 * Runs a dead-letter bulk script over failed jobs (of one type, or of every type
 * that has any) in bounded chunks that follow a score cursor, so retention
 * trimming the index meanwhile cannot make a walk skip jobs. Returns how many
 * were acted on.
 */
export async function runDeadLetterChunks(
  ctx: QueueContext,
  script: "retry-dead-letter" | "purge-dead-letter",
  type: string | undefined,
  chunk = 500,
): Promise<number> {
  const types = type
    ? [type]
    : Object.entries((await countJobs(ctx)).byType).flatMap(([name, counts]) =>
        counts.failed > 0 ? [name] : [],
      );
  let total = 0;
  for (;;) {
    let acted = 0;
    let skippedAny = false;
    for (const jobType of types) {
      let cursor: string | null = "";
      while (cursor !== null) {
        const [done, skipped, next] = (await ctx.run(script, [jobType, chunk, cursor])) as [
          number,
          number,
          string | null,
        ];
        acted += done;
        skippedAny ||= skipped > 0;
        cursor = next;
      }
    }
    total += acted;
    // A retried parent may free children skipped earlier in the pass (another type,
    // or earlier in the index): go again while a pass makes progress.
    if (script !== "retry-dead-letter" || !skippedAny || acted === 0) return total;
  }
}
