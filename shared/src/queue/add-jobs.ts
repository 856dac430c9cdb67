/**
 * Adding jobs: validates every input against the shared schema (nothing is written
 * when any is invalid), encodes them for add-jobs.lua, and sends a whole batch in
 * one script call.
 */
import * as v from "valibot";
import {
  errorFromScriptCode,
  JobNotFoundError,
  NotReplicatedError,
  QueueFullError,
  SCRIPT_CODES,
  ValidationError,
} from "../errors.js";
import { decodeJob, type Job, pairsToRecord } from "../job.js";
import { formatJobId } from "../job-id.js";
import { createJobInputSchema, GroupKeySchema, type JobInput, PRIORITY } from "../schemas/job-input.js";
import { countParents, LIMITS } from "../schemas/limits.js";
import { encodeBackoff } from "../settings.js";
import { IDEMPOTENCY_CONFLICT, IdempotencyConflictError, jobFingerprint } from "./idempotency.js";
import { type PlannedDependencies, planDependencies } from "./plan-dependencies.js";
import type { QueueContext } from "./queue-context.js";
import { readJob } from "./read-job.js";

export interface AddedJob {
  id: string;
  /** False when an idempotency key matched a job added earlier; `id` is that job. */
  created: boolean;
  /** Set when a debounce key took the submission: its waiting job was `replaced`, or it was `dropped` (throttle). */
  debounced?: Debounced;
}

/** What a debounce key did with a submission (see README "Expiry, debounce and throttle"). */
export type Debounced = "replaced" | "dropped";

/** add-jobs.lua's per-job reply code: 1 created, 0 an idempotency key's job, 2 replaced, 3 dropped. */
const DEBOUNCED_BY_CODE: Record<number, Debounced> = { 2: "replaced", 3: "dropped" };
const debouncedOf = (code: unknown) => {
  const debounced = DEBOUNCED_BY_CODE[code as number];
  return debounced ? { debounced } : {};
};

/** The expiry field of add-jobs.lua: 'a<epoch ms>', 'r<ms from now in Redis's clock>', or ''. */
function encodeExpiry(job: ParsedJob): string {
  if (job.expiresAt !== undefined) {
    const at = job.expiresAt instanceof Date ? job.expiresAt.getTime() : new Date(job.expiresAt).getTime();
    return `a${at}`;
  }
  return job.expireAfterMs === undefined ? "" : `r${job.expireAfterMs}`;
}

/** The debounce field of add-jobs.lua: '<d|t>|<windowMs>|<key>', or ''. */
const encodeDebounce = (job: ParsedJob) =>
  job.debounce
    ? `${job.debounce.mode === "throttle" ? "t" : "d"}|${job.debounce.windowMs}|${job.debounce.key}`
    : "";

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
  if (job.groupFrom !== undefined) {
    const group = groupFromPayload(job.payload, job.groupFrom);
    const checked = v.safeParse(GroupKeySchema, group);
    if (!checked.success) {
      throw new ValidationError([
        {
          path: [pathPrefix, "groupFrom"].filter(Boolean).join("."),
          message: "must point at a string or number in payload that is a valid group key",
        },
      ]);
    }
    return { ...job, group: checked.output, groupFrom: undefined };
  }
  return job;
}

/** The value a JSON pointer (RFC 6901) names in the payload, as a group key, or undefined. */
function groupFromPayload(payload: unknown, pointer: string): string | undefined {
  let value = payload;
  for (const token of pointer.slice(1).split("/")) {
    const name = token.replaceAll("~1", "/").replaceAll("~0", "~");
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, name)) return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  return typeof value === "string" ? value : typeof value === "number" ? String(value) : undefined;
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
    job.idempotencyKey === undefined ? "" : `${jobFingerprint(job)}|${job.idempotencyKey}`,
    parents.join(","),
    job.onParentFailure === "ignore" ? "i" : "",
    job.group ?? "",
    // Last, as add-jobs.lua reads them.
    encodeExpiry(job),
    encodeDebounce(job),
  ];
}

/** A run's '=<n>', type and maxAttempts, before its payloads. */
const RUN_HEAD = 3;

/** A long form whose fields past type, payload and maxAttempts are all default. */
function isDefault(fields: (string | number)[]): boolean {
  if (fields[2] !== PRIORITY.default || fields[3] !== 0 || fields[4] !== 0) return false;
  for (let at = 6; at < fields.length; at++) if (fields[at] !== "") return false;
  return true;
}

/**
 * add-jobs.lua's job arguments, in the plan's order. Consecutive jobs whose options are
 * all default and that share type and maxAttempts go as one run ('=<n>', type,
 * maxAttempts, then their payloads), every other job as the 14 fields of the long form:
 * a bulk add of plain jobs sends one argument per job instead of 14.
 */
function encodeJobs(ctx: QueueContext, jobs: ParsedJob[], plan: PlannedDependencies) {
  const args: (string | number)[] = [];
  // Where the open run's '=<n>' goes (-1: none), and what its jobs share.
  let head = -1;
  let runType = "";
  let runAttempts = 0;
  const close = () => {
    if (head >= 0) args[head] = `=${args.length - head - RUN_HEAD}`;
    head = -1;
  };
  for (const index of plan.order) {
    const fields = encodeJob(ctx, jobs[index] as ParsedJob, plan.parents[index] ?? []);
    if (!isDefault(fields)) {
      close();
      for (const field of fields) args.push(field);
      continue;
    }
    const [type, payload, , , , maxAttempts] = fields as [string, string, number, number, number, number];
    if (head < 0 || type !== runType || maxAttempts !== runAttempts) {
      close();
      head = args.length;
      runType = type;
      runAttempts = maxAttempts;
      args.push("", type, maxAttempts);
    }
    args.push(payload);
  }
  close();
  return args;
}

/** The script's { -8, i, seq | '@k', fingerprint } as an error: 409 for an earlier job, 422 within the batch. */
function idempotencyConflict(
  ctx: QueueContext,
  jobs: ParsedJob[],
  order: readonly number[],
  reply: Reply & unknown[],
): Error {
  const [, at, existing, existingFingerprint] = reply as [number, number, string, string];
  const index = order[at] as number;
  const job = jobs[index] as ParsedJob;
  if (existing.startsWith("@")) {
    const other = order[Number(existing.slice(1))];
    return new ValidationError([
      {
        path: `jobs.${index}.idempotencyKey`,
        message: `is also used by jobs.${other} with a different body`,
      },
    ]);
  }
  return new IdempotencyConflictError(
    job.idempotencyKey as string,
    formatJobId(ctx.name, existing),
    existingFingerprint,
    jobFingerprint(job),
  );
}

/**
 * Adds jobs atomically: all or none. Jobs may depend on existing jobs of this queue
 * (by id) and on each other (by `ref`); they are written parents first.
 */
type Reply = (string | number | string[])[] | number;

async function runAddJobs(ctx: QueueContext, inputs: readonly JobInput[], returnJobs: boolean) {
  if (inputs.length > LIMITS.batchJobs) {
    throw new ValidationError([{ path: "jobs", message: `at most ${LIMITS.batchJobs} jobs per batch` }]);
  }
  const parents = countParents(inputs);
  if (parents > LIMITS.batchParents) {
    throw new ValidationError([
      { path: "jobs", message: `name at most ${LIMITS.batchParents} parents in all (got ${parents})` },
    ]);
  }
  const single = inputs.length === 1;
  const jobs = inputs.map((input, index) => parseJob(ctx, input, single ? "" : `jobs.${index}`));
  const plan = planDependencies(ctx.name, jobs, single);
  const args: (string | number)[] = [
    ctx.settings.idempotencyWindowMs,
    returnJobs ? "1" : "",
    jobs.length,
    ...encodeJobs(ctx, jobs, plan),
  ];

  let reply: Reply;
  let acknowledged = Number.POSITIVE_INFINITY;
  if (ctx.writeAck) {
    const [raw, replicas] = await ctx.runAcked(
      "add-jobs",
      args,
      ctx.writeAck.replicas,
      ctx.writeAck.timeoutMs,
    );
    reply = raw as Reply;
    acknowledged = replicas;
  } else {
    reply = (await ctx.run("add-jobs", args)) as Reply;
  }
  if (typeof reply === "number") throw errorFromScriptCode(reply, "", undefined, "add");
  if (reply[0] === SCRIPT_CODES.unknownParent) {
    throw errorFromScriptCode(
      SCRIPT_CODES.unknownParent,
      formatJobId(ctx.name, "0"),
      String(reply[1]),
      "add",
    );
  }
  if (reply[0] === IDEMPOTENCY_CONFLICT) throw idempotencyConflict(ctx, jobs, plan.order, reply);
  if (reply[0] === SCRIPT_CODES.queueFull) {
    throw new QueueFullError(ctx.name, ctx.settings.maxQueueBytes, Number(reply[1]), Number(reply[2]));
  }
  // Refusals above wrote nothing; jobs written that no replica holds yet are not reported as done.
  if (ctx.writeAck && acknowledged < ctx.writeAck.replicas) {
    const ids: string[] = [];
    for (let i = 0; i < reply.length; i += returnJobs ? 3 : 2)
      ids.push(formatJobId(ctx.name, String(reply[i])));
    throw new NotReplicatedError(ctx.name, ids, ctx.writeAck.replicas, acknowledged);
  }
  return { reply, plan, order: plan.order, width: returnJobs ? 3 : 2 };
}

/**
 * Adds jobs atomically: all or none. Jobs may depend on existing jobs of this queue
 * (by id) and on each other (by `ref`); they are written parents first.
 */
export async function addJobs(ctx: QueueContext, inputs: readonly JobInput[]): Promise<AddedJob[]> {
  if (inputs.length === 0) return [];
  const { reply, order, width } = await runAddJobs(ctx, inputs, false);
  const added: AddedJob[] = new Array(inputs.length);
  order.forEach((index, at) => {
    added[index] = {
      id: formatJobId(ctx.name, String(reply[at * width])),
      created: reply[at * width + 1] === 1,
      ...debouncedOf(reply[at * width + 1]),
    };
  });
  return added;
}

export interface SubmittedJob {
  job: Job;
  /** False when an idempotency key matched a job added earlier; `job` is that job. */
  created: boolean;
  /** Set when a debounce key took the submission: `job` is the key's job (`replaced`, or the submission `dropped`). */
  debounced?: Debounced;
}

/** Like `addJobs`, and returns the stored jobs from the same round trip. */
export async function submitJobs(ctx: QueueContext, inputs: readonly JobInput[]): Promise<SubmittedJob[]> {
  if (inputs.length === 0) return [];
  const { reply, plan, order, width } = await runAddJobs(ctx, inputs, true);
  const seqAt = (at: number) => String(reply[at * width]);
  // A job created just now can only have dependents within this batch.
  const dependentsAt = new Map<number, string[]>();
  order.forEach((index, at) => {
    for (const parent of plan.parents[index] ?? []) {
      if (!parent.startsWith("@")) continue;
      const parentAt = Number(parent.slice(1));
      dependentsAt.set(parentAt, [...(dependentsAt.get(parentAt) ?? []), seqAt(at)]);
    }
  });
  const submitted: SubmittedJob[] = new Array(inputs.length);
  await Promise.all(
    order.map(async (index, at) => {
      const seq = seqAt(at);
      const created = reply[at * width + 1] === 1;
      const dependents = dependentsAt.get(at) ?? [];
      // A replayed job may have gained dependents since: read it whole.
      const job = created
        ? decodeJob(
            ctx.name,
            seq,
            pairsToRecord(reply[at * width + 2] as string[]),
            { seqs: dependents, count: dependents.length },
            ctx.settings.defaultBackoff,
          )
        : await readJob(ctx, seq);
      if (!job) throw new JobNotFoundError(formatJobId(ctx.name, seq));
      submitted[index] = { job, created, ...debouncedOf(reply[at * width + 1]) };
    }),
  );
  return submitted;
}
