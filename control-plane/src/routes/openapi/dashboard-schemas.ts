/**
 * The OpenAPI description of the endpoints the dashboard added: job logs and
 * replay, dead-letter groups, bulk operations by filter, stats history and the
 * session. Request bodies come from the shared schemas; responses are described
 * here, with compile-time checks that they keep the contract's fields.
 */
import {
  BenchmarkInputSchema,
  type DeadLetterGroup,
  type Operation,
  OperationInputSchema,
  ReplayInputSchema,
  STATS_WINDOWS,
  type StatsPoint,
} from "@rqueue/shared";
import { toJsonSchema } from "@valibot/to-json-schema";
import * as v from "valibot";

type JsonObject = Record<string, unknown>;

const schemaOf = (schema: v.GenericSchema): JsonObject => {
  const { $schema: _ignored, ...rest } = toJsonSchema(schema, {
    errorMode: "ignore",
    target: "draft-2020-12",
  }) as JsonObject;
  return rest;
};

const isoTime = v.pipe(v.string(), v.isoTimestamp());
const percentiles = v.object({
  p50: v.nullable(v.number()),
  p95: v.nullable(v.number()),
  p99: v.nullable(v.number()),
});

const OperationSchema = v.object({
  id: v.string(),
  action: v.picklist(["retry", "cancel", "delete"]),
  filter: v.object({
    queue: v.string(),
    state: v.string(),
    type: v.optional(v.string()),
    priority: v.optional(v.number()),
  }),
  status: v.picklist(["running", "completed", "canceled", "failed", "interrupted"]),
  estimated: v.pipe(v.number(), v.description("jobs the filter held at the start")),
  examined: v.number(),
  applied: v.number(),
  skipped: v.pipe(v.number(), v.description("jobs that had moved on and could not take the action")),
  createdBy: v.string(),
  createdAt: isoTime,
  updatedAt: isoTime,
  finishedAt: v.nullable(isoTime),
  error: v.nullable(v.string()),
});

const StatsPointSchema = v.object({
  at: v.pipe(v.number(), v.description("start of the minute or hour, epoch ms")),
  completed: v.number(),
  failed: v.number(),
  backlog: v.nullable(v.number()),
  processing: v.nullable(v.number()),
  waitMs: percentiles,
  runMs: percentiles,
});

const DeadLetterGroupSchema = v.object({
  type: v.string(),
  message: v.string(),
  reason: v.nullable(v.string()),
  count: v.number(),
  firstSeen: isoTime,
  lastSeen: isoTime,
  jobIds: v.array(v.string()),
});

type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never]
  ? true
  : false;
// Fail to compile when the contract's types gain or lose a field the document does not describe.
export const OPERATION_SCHEMA_MATCHES: SameKeys<v.InferOutput<typeof OperationSchema>, Operation> = true;
export const STATS_POINT_SCHEMA_MATCHES: SameKeys<v.InferOutput<typeof StatsPointSchema>, StatsPoint> = true;
export const DEAD_LETTER_GROUP_SCHEMA_MATCHES: SameKeys<
  v.InferOutput<typeof DeadLetterGroupSchema>,
  DeadLetterGroup
> = true;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: JsonObject) => ({ content: { "application/json": { schema } } });
const error = (description: string) => ({ description, ...json(ref("Error")) });
const idParam = (description: string) => ({
  name: "id",
  in: "path",
  required: true,
  schema: { type: "string" },
  description,
});
const op = (summary: string, role: string, extra: JsonObject, responses: JsonObject) => ({
  summary,
  description: `Needs the \`${role}\` role.`,
  ...extra,
  responses: {
    ...responses,
    "401": error("Missing or invalid API key"),
    "403": error("The key's role does not allow this"),
    "503": error("Redis is unavailable (with Retry-After)"),
  },
});

export function dashboardOpenApi(): { schemas: JsonObject; paths: JsonObject } {
  return {
    schemas: {
      Operation: schemaOf(OperationSchema),
      OperationInput: schemaOf(OperationInputSchema),
      ReplayInput: schemaOf(ReplayInputSchema),
      BenchmarkInput: schemaOf(BenchmarkInputSchema),
      StatsPoint: schemaOf(StatsPointSchema),
      DeadLetterGroup: schemaOf(DeadLetterGroupSchema),
    },
    paths: {
      "/v1/jobs/{id}/logs": {
        get: op(
          "The lines the job's handler logged (last 200), oldest first",
          "read",
          { parameters: [idParam("job id")] },
          {
            "200": {
              description: "Log lines",
              ...json({
                type: "object",
                properties: {
                  id: { type: "string" },
                  lines: {
                    type: "array",
                    items: {
                      type: "object",
                      properties: {
                        at: { type: "string" },
                        attempt: { type: "integer" },
                        message: { type: "string" },
                      },
                    },
                  },
                },
              }),
            },
            "404": error("No such job"),
          },
        ),
      },
      "/v1/jobs/{id}/replay": {
        post: op(
          "Replay a job: a new job of the same type and queue, with edits; it records replayOf",
          "submit",
          {
            parameters: [idParam("the job to replay")],
            requestBody: { required: false, ...json(ref("ReplayInput")) },
          },
          {
            "201": { description: "The new job", ...json(ref("Job")) },
            "404": error("No such job"),
            "422": error("Bad edits"),
          },
        ),
      },
      "/v1/dead-letter/groups": {
        get: op(
          "The newest failed jobs (up to 500) grouped by type and last error message",
          "read",
          { parameters: [{ name: "queue", in: "query", required: true, schema: { type: "string" } }] },
          {
            "200": {
              description:
                "Groups, largest first; `complete` is false when more jobs failed than were examined",
              ...json({
                type: "object",
                properties: {
                  queue: { type: "string" },
                  groups: { type: "array", items: ref("DeadLetterGroup") },
                  examined: { type: "integer" },
                  totalFailed: { type: "integer" },
                  complete: { type: "boolean" },
                },
              }),
            },
            "404": error("No such queue"),
          },
        ),
      },
      "/v1/operations": {
        post: op(
          "Start a bulk action (retry, cancel, delete) over every job a filter selects; runs in chunks on the server",
          "admin",
          { requestBody: { required: true, ...json(ref("OperationInput")) } },
          {
            "202": {
              description: "Started; follow it with GET /v1/operations/{id}",
              ...json(ref("Operation")),
            },
            "404": error("No such queue"),
            "422": error("Bad action or filter"),
            "429": error("Too many operations running in this control plane"),
          },
        ),
        get: op(
          "Recent operations, newest first",
          "read",
          {},
          {
            "200": {
              description: "Up to 20",
              ...json({
                type: "object",
                properties: { operations: { type: "array", items: ref("Operation") } },
              }),
            },
          },
        ),
      },
      "/v1/operations/{id}": {
        get: op(
          "One operation's progress",
          "read",
          { parameters: [idParam("operation id")] },
          {
            "200": { description: "The operation", ...json(ref("Operation")) },
            "404": error("No such operation"),
          },
        ),
      },
      "/v1/operations/{id}/cancel": {
        post: op(
          "Stop a running operation after its current chunk",
          "admin",
          { parameters: [idParam("operation id")] },
          {
            "200": { description: "The operation", ...json(ref("Operation")) },
            "404": error("No such operation"),
            "409": error("The operation is not running"),
          },
        ),
      },
      "/v1/stats/history": {
        get: op(
          "Throughput, backlog and wait/run percentiles over a window: per minute (15m, 1h, 24h) or per hour (30d)",
          "read",
          {
            parameters: [
              {
                name: "window",
                in: "query",
                schema: { type: "string", enum: [...STATS_WINDOWS], default: "1h" },
              },
              {
                name: "queue",
                in: "query",
                schema: { type: "string" },
                description: "One queue; all queues merged when left out (percentiles: the slowest queue's)",
              },
            ],
          },
          {
            "200": {
              description: "Oldest first, one point per step",
              ...json({
                type: "object",
                properties: {
                  window: { type: "string" },
                  stepSeconds: { type: "integer", enum: [60, 3600] },
                  points: { type: "array", items: ref("StatsPoint") },
                },
              }),
            },
            "422": error("Bad window or queue"),
          },
        ),
      },
      "/v1/benchmarks": {
        post: op(
          "Start a timed load: N noop or cpu jobs added in batches, followed as workers drain them; one at a time",
          "admin",
          { requestBody: { required: true, ...json(ref("BenchmarkInput")) } },
          {
            "202": {
              description: "Started; follow it with GET /v1/benchmarks/current",
              ...json({ type: "object" }),
            },
            "409": error("A benchmark is already running"),
            "422": error("Bad input"),
          },
        ),
      },
      "/v1/benchmarks/current": {
        get: op(
          "The latest benchmark: progress, enqueue and drain rates, latency, samples",
          "read",
          {},
          {
            "200": {
              description: "The run, or null before the first",
              ...json({ type: "object", properties: { run: { type: ["object", "null"] } } }),
            },
          },
        ),
      },
      "/v1/benchmarks/current/cancel": {
        post: op(
          "Stop the running benchmark (jobs already added stay)",
          "admin",
          {},
          {
            "200": { description: "The run", ...json({ type: "object" }) },
            "409": error("No benchmark is running"),
          },
        ),
      },
      "/v1/session": {
        get: op(
          "The caller's key name and role",
          "read",
          {},
          {
            "200": {
              description: "Who is asking",
              ...json({
                type: "object",
                properties: {
                  name: { type: "string" },
                  role: { type: "string", enum: ["read", "submit", "admin"] },
                  open: { type: "boolean", description: "true when the server runs without API keys" },
                },
              }),
            },
          },
        ),
      },
    },
  };
}
