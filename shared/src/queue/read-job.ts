/**
 * Reading one job, and its neighbourhood in the dependency graph, in one round
 * trip each (a pipeline on the queue's slot).
 */
import { DEPENDENTS_SHOWN, decodeJob, type Job } from "../job.js";
import { formatJobId } from "../job-id.js";
import type { JobState } from "../schemas/job-state.js";
import type { QueueContext } from "./queue-context.js";

const childrenKey = (ctx: QueueContext, seq: string) => `${ctx.keys.prefix}children:${seq}`;

function unwrap<T>(replies: [Error | null, unknown][] | null, index: number): T {
  const [error, value] = replies?.[index] ?? [new Error("no reply"), null];
  if (error) throw error;
  return value as T;
}

export async function readJob(ctx: QueueContext, seq: string): Promise<Job | null> {
  const replies = await ctx.redis
    .pipeline()
    .hgetall(ctx.keys.job(seq))
    .srandmember(childrenKey(ctx, seq), DEPENDENTS_SHOWN)
    .scard(childrenKey(ctx, seq))
    .exec();
  const fields = unwrap<Record<string, string>>(replies, 0);
  if (!fields.s) return null;
  return decodeJob(
    ctx.name,
    seq,
    fields,
    { seqs: unwrap<string[]>(replies, 1), count: unwrap<number>(replies, 2) },
    ctx.settings.defaultBackoff,
  );
}

export interface GraphNode {
  id: string;
  type: string | null;
  /** Null when the job no longer exists (deleted or trimmed). */
  state: JobState | null;
}

export interface JobGraph {
  job: Job;
  parents: GraphNode[];
  children: GraphNode[];
}

/** A job with its parents and (up to 1,000) children and their states, for a graph view. */
export async function readJobGraph(ctx: QueueContext, seq: string): Promise<JobGraph | null> {
  const job = await readJob(ctx, seq);
  if (!job) return null;
  const neighbours = [...job.dependsOn, ...job.dependents];
  if (neighbours.length === 0) return { job, parents: [], children: [] };
  const pipeline = ctx.redis.pipeline();
  for (const id of neighbours) pipeline.hmget(ctx.keys.job(id.slice(id.lastIndexOf(":") + 1)), "s", "t");
  const replies = await pipeline.exec();
  const nodes = neighbours.map((id, index): GraphNode => {
    const [state, type] = unwrap<(string | null)[]>(replies, index);
    return { id, state: (state as JobState | null) ?? null, type: type ?? null };
  });
  return { job, parents: nodes.slice(0, job.dependsOn.length), children: nodes.slice(job.dependsOn.length) };
}

/** Parents' results for a running child, keyed by parent id; null for parents that are gone. */
export async function readParentResults(
  ctx: QueueContext,
  parentSeqs: readonly string[],
  maxBytes: number,
): Promise<Record<string, unknown>> {
  if (parentSeqs.length === 0) return {};
  const pipeline = ctx.redis.pipeline();
  for (const seq of parentSeqs) pipeline.hget(ctx.keys.job(seq), "r");
  const replies = await pipeline.exec();
  const results: Record<string, unknown> = {};
  let budget = maxBytes;
  parentSeqs.forEach((seq, index) => {
    const raw = unwrap<string | null>(replies, index);
    budget -= raw?.length ?? 0;
    // Past the size limit, later parents' results are withheld rather than truncated into invalid JSON.
    results[formatJobId(ctx.name, seq)] = raw && budget >= 0 ? JSON.parse(raw) : null;
  });
  return results;
}
