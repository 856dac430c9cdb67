/**
 * The OpenAPI 3.1 document, generated from the shared valibot schemas (job input,
 * states, limits) and the response schemas, so the documentation cannot drift
 * from what the API validates.
 */
import { JobInputSchema, JobStateSchema, LIMITS } from "@rqueue/shared";
import { toJsonSchema } from "@valibot/to-json-schema";
import type * as v from "valibot";
import { WAIT_DEFAULT_MS, WAIT_MAX_MS } from "../jobs/wait-job.js";
import { searchOpenApi } from "../search/search-openapi.js";
import { dashboardOpenApi } from "./dashboard-openapi.js";
import { ErrorSchema, JobPageSchema, JobSchema } from "./response-schemas.js";

type JsonObject = Record<string, unknown>;

const schemaOf = (schema: v.GenericSchema): JsonObject => {
  const { $schema: _ignored, ...rest } = toJsonSchema(schema, {
    errorMode: "ignore",
    target: "draft-2020-12",
  }) as JsonObject;
  return rest;
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (schema: JsonObject) => ({ content: { "application/json": { schema } } });
const errorResponse = (description: string) => ({ description, ...jsonContent(ref("Error")) });

const COMMON_ERRORS = {
  "401": errorResponse("Missing or invalid API key"),
  "403": errorResponse("The key's role does not allow this"),
  "503": errorResponse("Redis is unavailable (with Retry-After)"),
};
const BODY_ERRORS = {
  "400": errorResponse("Malformed JSON"),
  "413": errorResponse("Body over the size limit"),
  "415": errorResponse("Body is not application/json"),
  "422": errorResponse("Schema violations, one issue per field"),
};

const jobIdParam = {
  name: "id",
  in: "path",
  required: true,
  schema: { type: "string" },
  example: "default:42",
};
const query = (name: string, schema: JsonObject, description: string, required = false) => ({
  name,
  in: "query",
  required,
  schema,
  description,
});
const op = (summary: string, role: string, extra: JsonObject, responses: JsonObject) => ({
  summary,
  description: `Needs the \`${role}\` role.`,
  ...extra,
  responses: { ...responses, ...COMMON_ERRORS },
});
const jobResponse = (description: string) => ({ description, ...jsonContent(ref("Job")) });

export function buildOpenApiDocument(): JsonObject {
  const search = searchOpenApi();
  const dashboard = dashboardOpenApi();
  const filter = {
    type: "object",
    properties: { queue: { type: "string" }, type: { type: "string" } },
    required: ["queue"],
    additionalProperties: false,
  };
  return {
    openapi: "3.1.0",
    info: {
      title: "R-queue API",
      version: "1",
      description: "Distributed job queue on Redis. Authenticate with `Authorization: Bearer <key>`.",
    },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: {
        JobInput: schemaOf(JobInputSchema),
        JobState: schemaOf(JobStateSchema),
        Job: schemaOf(JobSchema),
        JobPage: schemaOf(JobPageSchema),
        Error: schemaOf(ErrorSchema),
        ...search.schemas,
        ...dashboard.schemas,
      },
    },
    security: [{ bearer: [] }],
    paths: {
      ...search.paths,
      ...dashboard.paths,
      "/v1/jobs": {
        post: op(
          "Submit a job",
          "submit",
          {
            parameters: [
              {
                name: "Idempotency-Key",
                in: "header",
                schema: { type: "string", maxLength: LIMITS.idempotencyKeyChars },
              },
            ],
            requestBody: { required: true, ...jsonContent(ref("JobInput")) },
          },
          {
            "201": jobResponse("Created"),
            "200": jobResponse("Idempotency key seen before: the original job (Idempotent-Replayed: true)"),
            ...BODY_ERRORS,
          },
        ),
        get: op(
          "List jobs of a queue in one state, newest first",
          "read",
          {
            parameters: [
              query("queue", { type: "string", default: "default" }, "Queue name"),
              query("state", ref("JobState"), "Job state", true),
              query("type", { type: "string" }, "Only this job type"),
              query(
                "priority",
                { type: "integer", minimum: 1, maximum: 10 },
                "Only this priority; pages may then be short, follow nextCursor",
              ),
              query(
                "limit",
                { type: "integer", minimum: 1, maximum: LIMITS.listPageMax, default: 50 },
                "Page size",
              ),
              query("cursor", { type: "string" }, "nextCursor of the previous page"),
            ],
          },
          {
            "200": { description: "One page", ...jsonContent(ref("JobPage")) },
            "422": errorResponse("Bad filter"),
          },
        ),
      },
      "/v1/jobs/batch": {
        post: op(
          "Submit up to 1,000 jobs, atomically per queue; jobs may name each other by ref in dependsOn",
          "submit",
          {
            requestBody: {
              required: true,
              ...jsonContent({
                type: "object",
                properties: {
                  jobs: { type: "array", items: ref("JobInput"), minItems: 1, maxItems: LIMITS.batchJobs },
                },
                required: ["jobs"],
              }),
            },
          },
          {
            "201": {
              description: "Created, in request order",
              ...jsonContent({ type: "object", properties: { jobs: { type: "array", items: ref("Job") } } }),
            },
            ...BODY_ERRORS,
          },
        ),
      },
      "/v1/jobs/{id}": {
        get: op(
          "Read a job (from the archive once Redis has trimmed it; `source` says which)",
          "read",
          {
            parameters: [
              jobIdParam,
              query(
                "omit",
                { type: "string", example: "payload,result" },
                "Leave out payload and/or result (comma-separated); `omitted` lists them",
              ),
            ],
          },
          {
            "200": { description: "The job", ...jsonContent(ref("StoredJob")) },
            "404": errorResponse("No such job"),
          },
        ),
        delete: op(
          "Delete a finished job",
          "admin",
          { parameters: [jobIdParam] },
          {
            "204": { description: "Deleted" },
            "404": errorResponse("No such job"),
            "409": errorResponse("The job is not in a final state"),
          },
        ),
      },
      "/v1/jobs/{id}/wait": {
        get: op(
          "Long-poll until the job is final or the timeout passes",
          "read",
          {
            parameters: [
              jobIdParam,
              query(
                "timeoutMs",
                { type: "integer", minimum: 0, maximum: WAIT_MAX_MS, default: WAIT_DEFAULT_MS },
                "Longest wait",
              ),
            ],
          },
          {
            "200": jobResponse("The job, final or as it is at the timeout"),
            "404": errorResponse("No such job"),
          },
        ),
      },
      "/v1/jobs/{id}/cancel": {
        post: op(
          "Cancel a job that is not final",
          "admin",
          { parameters: [jobIdParam] },
          {
            "200": jobResponse("The canceled job"),
            "404": errorResponse("No such job"),
            "409": errorResponse("Already final"),
          },
        ),
      },
      "/v1/jobs/{id}/graph": {
        get: op(
          "The job with its parents and children and their states",
          "read",
          { parameters: [jobIdParam] },
          {
            "200": { description: "{job, parents: [{id, type, state}], children: [...]}" },
            "404": errorResponse("No such job"),
          },
        ),
      },
      "/v1/jobs/{id}/retry": {
        post: op(
          "Send a failed or canceled job back to pending (or blocked while parents are unfinished)",
          "admin",
          {
            parameters: [jobIdParam],
            requestBody: {
              required: false,
              ...jsonContent({
                type: "object",
                properties: {
                  cascade: {
                    type: "boolean",
                    description: "also re-arm dependents that failed because of this job",
                  },
                },
                additionalProperties: false,
              }),
            },
          },
          {
            "200": jobResponse("The job, pending (or blocked) again"),
            "404": errorResponse("No such job"),
            "409": errorResponse("Not failed or canceled, or a parent is still failed"),
          },
        ),
      },
      "/v1/dead-letter/retry": {
        post: op(
          "Retry every dead-lettered job of a queue (and type)",
          "admin",
          { requestBody: { required: true, ...jsonContent(filter) } },
          {
            "200": {
              description: "How many",
              ...jsonContent({ type: "object", properties: { retried: { type: "integer" } } }),
            },
            "404": errorResponse("No such queue"),
            ...BODY_ERRORS,
          },
        ),
      },
      "/v1/dead-letter": {
        delete: op(
          "Delete every dead-lettered job of a queue (and type)",
          "admin",
          {
            parameters: [
              query("queue", { type: "string" }, "Queue", true),
              query("type", { type: "string" }, "Job type"),
            ],
          },
          {
            "200": {
              description: "How many",
              ...jsonContent({ type: "object", properties: { deleted: { type: "integer" } } }),
            },
            "404": errorResponse("No such queue"),
          },
        ),
      },
      "/v1/queues": {
        get: op(
          "Queues with counts, backlog, oldest pending age and circuit breakers",
          "read",
          {},
          {
            "200": { description: "Every known queue" },
          },
        ),
      },
      "/v1/queues/{queue}/pause": {
        post: op(
          "Pause a queue: workers stop taking its jobs",
          "admin",
          {},
          { "200": { description: "Paused" }, "404": errorResponse("No such queue") },
        ),
      },
      "/v1/queues/{queue}/resume": {
        post: op(
          "Resume a paused queue",
          "admin",
          {},
          { "200": { description: "Resumed" }, "404": errorResponse("No such queue") },
        ),
      },
      "/v1/queues/{queue}/breakers/{type}/reset": {
        post: op(
          "Close a job type's circuit breaker now",
          "admin",
          {},
          {
            "200": { description: "The breaker after the reset" },
            "404": errorResponse("No such queue or breaker"),
          },
        ),
      },
      "/v1/workers": {
        get: op(
          "Workers with health, active jobs, counters and host or ECS task",
          "read",
          {},
          { "200": { description: "The registry" } },
        ),
      },
      "/v1/metrics": {
        get: op(
          "Dashboard snapshot: counts, throughput, latency percentiles, backlog, workers, scaling, ECS",
          "read",
          { parameters: [query("queue", { type: "string" }, "Only this queue")] },
          { "200": { description: "Snapshot (ETag; cached for 1 s)" }, "304": { description: "Unchanged" } },
        ),
      },
      "/metrics": { get: op("Prometheus text format", "read", {}, { "200": { description: "Metrics" } }) },
      "/healthz": {
        get: { summary: "Liveness", security: [], responses: { "200": { description: "Alive" } } },
      },
      "/readyz": {
        get: {
          summary: "Readiness: Redis reachable and not draining",
          security: [],
          responses: { "200": { description: "Ready" }, "503": errorResponse("Not ready") },
        },
      },
    },
  };
}
