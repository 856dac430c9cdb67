/**
 * Adding jobs: validates every input against the shared schema (nothing is written
 * when any is invalid), encodes them for add-jobs.lua, and sends a whole batch in
 * one script call.
 */
import * as v from "valibot";
import { errorFromScriptCode, SCRIPT_CODES, ValidationError } from "../errors.js";
import { formatJobId } from "../job-id.js";
import { createJobInputSchema, type JobInput, PRIORITY } from "../schemas/job-input.js";
import { LIMITS } from "../schemas/limits.js";
import { encodeBackoff } from "../settings.js";
import { planDependencies } from "./plan-dependencies.js";
import type { QueueContext } from "./queue-context.js";

export interface AddedJob {
  id: string;
  /** False when an idempotency key matched a job added earlier; `id` is that job. */
  created: boolean;
}

const schemaCache = new Map<number, ReturnType<typeof createJobInputSchema>>();
function schemaFor(payloadBytes: number) {
  let schema = schemaCache.get(payloadBytes);
  if (!schema) {
    schema = createJobInputSchema({ payloadBytes });
    schemaCache.set(payloadBytes, schema);
  }
  return schema;
}

type ParsedJob = v.InferOutput<ReturnType<typeof createJobInputSchema>>;

function parseJob(ctx: QueueContext, input: JobInput, pathPrefix: string): ParsedJob {
  const parsed = v.safeParse(schemaFor(ctx.settings.maxPayloadBytes), input);
  if (!parsed.success) throw ValidationError.fromValibot(parsed.issues, pathPrefix);
  const job = parsed.output;
  if (job.queue !== undefined && job.queue !== ctx.name) {
    throw new ValidationError([
      {
        path: [pathPrefix, "queue"].filter(Boolean).join("."),
        message: `does not match this queue (${ctx.name})`,
      },
    ]);
  }
  return job;
}

function encodeJob(ctx: QueueContext, job: ParsedJob, parents: string[]): (string | number)[] {
  const runAt =
    job.runAt === undefined
      ? 0
      : job.runAt instanceof Date
        ? job.runAt.getTime()
        : new Date(job.runAt).getTime();
  return [
    job.type,
    JSON.stringify(job.payload),
    job.priority ?? PRIORITY.default,
    job.delayMs ?? 0,
    runAt,
    job.maxAttempts ?? ctx.settings.defaultMaxAttempts,
    job.backoff ? encodeBackoff(job.backoff) : "",
    job.timeoutMs ?? "",
    job.idempotencyKey ?? "",
    parents.join(","),
    job.onParentFailure === "ignore" ? "i" : "",
  ];
}

/**
 * Adds jobs atomically: all or none. Jobs may depend on existing jobs of this queue
 * (by id) and on each other (by `ref`); they are written parents first.
 */
export async function addJobs(ctx: QueueContext, inputs: readonly JobInput[]): Promise<AddedJob[]> {
  if (inputs.length === 0) return [];
  if (inputs.length > LIMITS.batchJobs) {
    throw new ValidationError([{ path: "jobs", message: `at most ${LIMITS.batchJobs} jobs per batch` }]);
  }
  const single = inputs.length === 1;
  const jobs = inputs.map((input, index) => parseJob(ctx, input, single ? "" : `jobs.${index}`));
  const plan = planDependencies(ctx.name, jobs, single);
  const args: (string | number)[] = [ctx.settings.idempotencyWindowMs, jobs.length];
  for (const index of plan.order)
    args.push(...encodeJob(ctx, jobs[index] as ParsedJob, plan.parents[index] ?? []));

  const reply = (await ctx.run("add-jobs", args)) as (string | number)[] | number;
  if (typeof reply === "number") throw errorFromScriptCode(reply, "", undefined, "add");
  if (reply[0] === SCRIPT_CODES.unknownParent) {
    throw errorFromScriptCode(
      SCRIPT_CODES.unknownParent,
      formatJobId(ctx.name, "0"),
      String(reply[1]),
      "add",
    );
  }
  const added: AddedJob[] = new Array(jobs.length);
  plan.order.forEach((index, at) => {
    added[index] = { id: formatJobId(ctx.name, String(reply[at * 2])), created: reply[at * 2 + 1] === 1 };
  });
  return added;
}
