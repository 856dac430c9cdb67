/**
 * POST /v1/jobs/batch: up to 1,000 jobs, which may name each other by `ref` in
 * `dependsOn` (a workflow). Every entry, and each queue's dependency plan (unknown
 * or duplicate refs, cycles, cross-queue parents), is checked before anything is
 * written; 422 names each bad entry's fields by its position in the request
 * (`jobs.3.priority`). Each queue's share is then written in one atomic engine
 * call; for a batch spanning queues, unknown parent ids are checked in every queue
 * before the first write. Atomicity is per queue: the queues are written side by
 * side, and when some are written and others fail (a Cluster node down) the answer
 * is 207 with each queue's status, never an error that hides what was written.
 * Answers 201 {jobs, queues, debounced} in request order (207: jobs of failed queues
 * are null); `debounced` says, per job, whether a debounce key took its submission
 * (`replaced` or `dropped`, the job being the key's) or not (null).
 */
import {
  type BatchQueueResult,
  countParents,
  DEFAULT_QUEUE,
  type Debounced,
  type FieldIssue,
  issuePathSegment,
  type Job,
  type JobInput,
  LIMITS,
  planDependencies,
  ValidationError,
} from "@rqueue/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../app/app-env.js";
import type { AppServices } from "../../app/services.js";
import { offloadSubmittedPayload } from "../../blobs/offload-request.js";
import { errorBody, unprocessable } from "../../http/api-error.js";
import { requireRole } from "../../http/auth.js";
import { toApiError } from "../../http/on-error.js";
import { readJsonObject } from "../../http/read-json.js";
import { raceDeadline, scriptsByFor } from "../../http/redis-deadline.js";
import { describeRoute, errorResponse, ref } from "../openapi/describe-route.js";
import { checkJobInput } from "./job-input.js";

const BATCH_RESPONSE = {
  type: "object",
  properties: {
    jobs: { type: "array", items: { oneOf: [ref("Job"), { type: "null" }] } },
    debounced: {
      type: "array",
      description:
        "Per job, in request order: `replaced` (debounce: the key's waiting job took the submission), " +
        "`dropped` (throttle), or null (a new job, an idempotent replay, or its queue was not written)",
      items: { oneOf: [{ type: "string", enum: ["replaced", "dropped"] }, { type: "null" }] },
    },
    queues: {
      type: "array",
      items: {
        type: "object",
        properties: {
          queue: { type: "string" },
          status: { type: "integer" },
          created: { type: "integer" },
          error: { $ref: "#/components/schemas/Error/properties/error" },
        },
        required: ["queue", "status", "created"],
      },
    },
  },
  required: ["jobs", "queues", "debounced"],
};

/** Checking a batch of 1,000 jobs with 1,000 parents each takes a while: let other requests in meanwhile. */
const YIELD_EVERY_MS = 10;
const yieldToEventLoop = () => new Promise((resolve) => setImmediate(resolve));

async function parseBatch(body: Record<string, unknown>): Promise<JobInput[]> {
  const issues: FieldIssue[] = Object.keys(body)
    .filter((key) => key !== "jobs")
    .map((key) => ({ path: issuePathSegment(key), message: "unknown field" }));
  const entries = body.jobs;
  if (!Array.isArray(entries)) {
    throw unprocessable([...issues, { path: "jobs", message: "must be an array of jobs" }]);
  }
  if (entries.length === 0 || entries.length > LIMITS.batchJobs) {
    throw unprocessable([{ path: "jobs", message: `must hold 1 to ${LIMITS.batchJobs} jobs` }]);
  }
  const parents = countParents(entries);
  if (parents > LIMITS.batchParents) {
    throw unprocessable([
      { path: "jobs", message: `must name at most ${LIMITS.batchParents} parents in all (got ${parents})` },
    ]);
  }
  const inputs: JobInput[] = [];
  let slice = performance.now();
  for (const [index, entry] of entries.entries()) {
    const checked = checkJobInput(entry, `jobs.${index}`);
    if (checked.issues) appendAll(issues, checked.issues);
    else inputs.push(checked.input);
    if (performance.now() - slice > YIELD_EVERY_MS) {
      await yieldToEventLoop();
      slice = performance.now();
    }
  }
  if (issues.length > 0) throw unprocessable(issues);
  return inputs;
}

/** push(...items) passes every item as an argument: past ~100k it overflows the stack. */
function appendAll<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item);
}

/** The engine names a queue's share of the batch by its own positions; map them back to the request's. */
function inRequestTerms(error: unknown, indexes: readonly number[]): unknown {
  if (!(error instanceof ValidationError)) return error;
  const single = indexes.length === 1;
  return new ValidationError(
    error.issues.map((issue) => {
      if (single) return { ...issue, path: [`jobs.${indexes[0]}`, issue.path].filter(Boolean).join(".") };
      const path = issue.path.replace(/^jobs\.(\d+)/, (_, k: string) => `jobs.${indexes[Number(k)]}`);
      return { ...issue, path };
    }),
    error.issuesTotal,
  );
}

export function registerSubmitBatch(router: Hono<AppEnv>, services: AppServices): void {
  router.post(
    "/batch",
    describeRoute({
      operationId: "submitJobBatch",
      summary: `Submit up to ${LIMITS.batchJobs} jobs, atomically per queue; jobs may name each other by ref in dependsOn`,
      description:
        "Every entry and each queue's dependency plan is checked before anything is written. Each queue's share " +
        "is written in one atomic step; when some queues are written and others fail, the answer is 207.",
      tag: "Jobs",
      access: "submit",
      body: {
        required: true,
        schema: {
          type: "object",
          properties: {
            jobs: { type: "array", items: ref("JobInput"), minItems: 1, maxItems: LIMITS.batchJobs },
          },
          required: ["jobs"],
          additionalProperties: false,
        },
      },
      responses: {
        "201": { description: "Every job written, in request order", schema: BATCH_RESPONSE },
        "207": {
          description: "Some queues written: jobs of the others are null; see queues",
          schema: BATCH_RESPONSE,
        },
        "409": errorResponse(
          "An idempotency key reused with a different body (both fingerprints in the error)",
        ),
        "429": errorResponse(
          "Over the key's submit rate (`rate_limited`, Retry-After), or the queue's memory budget RQ_QUEUE_MAX_BYTES " +
            "cannot take the jobs (`queue_full`: queue, maxBytes, bytes; nothing written); with several queues, a 207 entry",
        ),
      },
    }),
    requireRole("submit"),
    async (c) => {
      const body = (await readJsonObject(c)) as Record<string, unknown>;
      // The payloads as sent, before large ones are moved to the blob store.
      const payloads = Array.isArray(body.jobs)
        ? body.jobs.map((entry) => (entry as { payload?: unknown })?.payload)
        : [];
      if (Array.isArray(body.jobs) && body.jobs.length <= LIMITS.batchJobs) {
        await Promise.all(
          body.jobs.map((entry, index) => offloadSubmittedPayload(services.blobs, entry, `jobs.${index}`)),
        );
      }
      const inputs = await parseBatch(body);
      const byQueue = new Map<string, number[]>();
      inputs.forEach((input, index) => {
        const name = input.queue ?? DEFAULT_QUEUE;
        const indexes = byQueue.get(name) ?? [];
        indexes.push(index);
        byQueue.set(name, indexes);
      });
      const groups = [...byQueue].map(([name, indexes]) => ({
        queue: c.var.queues.get(name),
        indexes,
        inputs: indexes.map((index) => inputs[index] as JobInput),
      }));
      // Which queue each ref's job goes to: a ref to another queue's job is named as such.
      const refQueues = new Map<string, string>();
      for (const input of inputs) if (input.ref) refQueues.set(input.ref, input.queue ?? DEFAULT_QUEUE);
      const planIssues: FieldIssue[] = [];
      let planIssuesTotal = 0;
      for (const group of groups) {
        try {
          planDependencies(group.queue.name, group.inputs, group.inputs.length === 1, refQueues);
        } catch (error) {
          const mapped = inRequestTerms(error, group.indexes);
          if (!(mapped instanceof ValidationError)) throw mapped;
          appendAll(planIssues, mapped.issues);
          planIssuesTotal += mapped.issuesTotal;
        }
      }
      if (planIssuesTotal > 0) throw unprocessable(planIssues, planIssuesTotal);
      const typeIssues: FieldIssue[] = [];
      for (const group of groups) {
        const jobs = group.inputs.map((input, i) => {
          const index = group.indexes[i] as number;
          const payload = payloads[index];
          return { type: input.type, payload: payload === undefined ? {} : payload, prefix: `jobs.${index}` };
        });
        typeIssues.push(...(await services.types.check(group.queue.name, jobs)));
      }
      if (typeIssues.length > 0) throw unprocessable(typeIssues);
      // Each queue's share is atomic on its own; across queues, check what only Redis can
      // tell (unknown parent ids) before the first write, so a bad batch writes nothing.
      if (groups.length > 1) {
        const missingIssues: FieldIssue[] = [];
        for (const group of groups) {
          const parents = group.inputs.flatMap((input, i) =>
            (input.dependsOn ?? [])
              .filter((entry) => entry.includes(":"))
              .map((id) => ({ id, index: group.indexes[i] })),
          );
          const missing = new Set(await group.queue.missingJobs(parents.map((parent) => parent.id)));
          for (const parent of parents) {
            if (missing.has(parent.id)) {
              missingIssues.push({
                path: `jobs.${parent.index}.dependsOn`,
                message: `unknown job ${parent.id}`,
              });
            }
          }
        }
        if (missingIssues.length > 0) throw unprocessable(missingIssues);
      }

      // Queues are written side by side, each all or nothing; one failing (its node down,
      // say) does not undo or hold back the others, so the answer says which were written.
      const jobs: (Job | null)[] = new Array(inputs.length).fill(null);
      const debounced: (Debounced | null)[] = new Array(inputs.length).fill(null);
      // Each share has the request deadline on its own (the route is exempt from the
      // whole-request one, see createApp), so a hung shard answers 503 for its queue only,
      // and its script, refused past the deadline, never writes after that 503.
      const deadlineMs = services.config.redisTimeoutMs;
      const outcomes = await Promise.allSettled(
        groups.map(async (group) => {
          const write = group.queue.withDeadline(scriptsByFor(deadlineMs)).submitBulk(group.inputs);
          const submitted = await raceDeadline(write, deadlineMs).catch((error: unknown) => {
            throw inRequestTerms(error, group.indexes);
          });
          submitted.forEach((entry, i) => {
            jobs[group.indexes[i] as number] = entry.job;
            debounced[group.indexes[i] as number] = entry.debounced ?? null;
          });
          return submitted.length;
        }),
      );
      const written = outcomes.filter((outcome) => outcome.status === "fulfilled").length;
      // Nothing written: the first failure is the answer, as for a single-queue batch.
      const firstFailure = outcomes.find((outcome) => outcome.status === "rejected");
      if (written === 0 && firstFailure) throw firstFailure.reason;
      const queues: BatchQueueResult[] = outcomes.map((outcome, i) => {
        const queue = (groups[i] as (typeof groups)[number]).queue.name;
        if (outcome.status === "fulfilled") return { queue, status: 201, created: outcome.value };
        return { queue, created: 0, ...failureOf(outcome.reason, services) };
      });
      return c.json({ jobs, queues, debounced }, written === groups.length ? 201 : 207);
    },
  );
}

/** How one queue's share failed, in the API's error terms (logged when unexpected). */
function failureOf(error: unknown, services: AppServices): Omit<BatchQueueResult, "queue" | "created"> {
  const apiError = toApiError(error);
  if (apiError) {
    const { error: body } = errorBody(
      apiError.code,
      apiError.message,
      apiError.issues,
      apiError.issuesTotal,
      apiError.details,
    );
    return { status: apiError.status, error: body };
  }
  services.log.error({ err: error }, "batch share failed");
  return { status: 500, error: errorBody("internal_error", "internal error").error };
}
