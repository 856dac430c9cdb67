/**
 * The OpenAPI description of the archive's endpoints: GET /v1/search (its fixed
 * parameters generated from SearchParamsSchema) and the `source` that GET
 * /v1/jobs/:id adds to a job.
 */
import { toJsonSchema } from "@valibot/to-json-schema";
import * as v from "valibot";
import { JobSchema } from "../openapi/response-schemas.js";
import { SEARCH_PAGE_MAX, SearchParamsSchema } from "./search-query.js";

export const StoredJobSchema = v.object({
  ...JobSchema.entries,
  source: v.pipe(
    v.picklist(["redis", "archive"]),
    v.description("redis: live; archive: Redis has trimmed it, this is the archived copy"),
  ),
  archivedAt: v.optional(v.pipe(v.string(), v.isoTimestamp())),
});

export const SearchPageSchema = v.object({
  items: v.array(StoredJobSchema),
  nextCursor: v.nullable(v.string()),
});

type JsonObject = Record<string, unknown>;

const schemaOf = (schema: v.GenericSchema): JsonObject => {
  const { $schema: _ignored, ...rest } = toJsonSchema(schema, {
    errorMode: "ignore",
    target: "draft-2020-12",
  }) as JsonObject;
  return rest;
};

export function searchOpenApi(): { schemas: JsonObject; paths: JsonObject } {
  const params = schemaOf(SearchParamsSchema) as { properties: Record<string, JsonObject> };
  const parameters = Object.entries(params.properties).map(([name, schema]) => ({
    name,
    in: "query",
    required: false,
    schema:
      name === "limit" ? { type: "integer", minimum: 1, maximum: SEARCH_PAGE_MAX, default: 50 } : schema,
    ...(typeof schema.description === "string" ? { description: schema.description } : {}),
  }));
  parameters.push(
    {
      name: "payload.<path>",
      in: "query",
      required: false,
      schema: { type: "string" },
      description:
        'Field equality on the payload, e.g. payload.user.plan=pro; the value is JSON when it parses (5, true, "5", {"a":1}), else a string. Up to 10 field filters.',
    },
    {
      name: "result.<path>",
      in: "query",
      required: false,
      schema: { type: "string" },
      description: "Field equality on the result, as payload.<path>.",
    },
  );
  const errorRef = { $ref: "#/components/schemas/Error" };
  return {
    schemas: { StoredJob: schemaOf(StoredJobSchema), SearchPage: schemaOf(SearchPageSchema) },
    paths: {
      "/v1/search": {
        get: {
          summary: "Search finished jobs in the archive, newest first",
          description: "Needs the `read` role and a configured archive (RQ_ARCHIVE_URL or RQ_ARCHIVE_DIR).",
          parameters,
          responses: {
            "200": {
              description: "One page; follow nextCursor",
              content: { "application/json": { schema: { $ref: "#/components/schemas/SearchPage" } } },
            },
            "422": {
              description: "Bad filter, one issue per parameter",
              content: { "application/json": { schema: errorRef } },
            },
            "501": {
              description: "No archive configured",
              content: { "application/json": { schema: errorRef } },
            },
          },
        },
      },
    },
  };
}
