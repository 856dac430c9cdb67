/**
 * The OpenAPI description of the archive's data: the `source` that GET
 * /v1/jobs/:id adds to a job, a search page, and GET /v1/search's query
 * parameters (the fixed ones generated from SearchParamsSchema).
 */
import * as v from "valibot";
import { jsonSchemaOf, type ParameterDoc } from "../openapi/describe-route.js";
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

export function searchParameters(): Record<string, ParameterDoc> {
  const params = jsonSchemaOf(SearchParamsSchema) as { properties: Record<string, Record<string, unknown>> };
  const parameters: Record<string, ParameterDoc> = {};
  for (const [name, schema] of Object.entries(params.properties)) {
    parameters[name] = {
      description: typeof schema.description === "string" ? schema.description : name,
      schema:
        name === "limit" ? { type: "integer", minimum: 1, maximum: SEARCH_PAGE_MAX, default: 50 } : schema,
    };
  }
  parameters["payload.<path>"] = {
    description:
      'Field equality on the payload, e.g. payload.user.plan=pro; the value is JSON when it parses (5, true, "5", {"a":1}), else a string. Up to 10 field filters.',
  };
  parameters["result.<path>"] = { description: "Field equality on the result, as payload.<path>." };
  return parameters;
}
