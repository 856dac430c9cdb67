/**
 * Builds the OpenAPI 3.1 document from the routes the app registered: each route's
 * `describeRoute` description (describe-route.ts) becomes its operation, at the
 * route's real path and method, with every path parameter declared and the error
 * responses its access level and body imply. Schemas come from the shared valibot
 * schemas (openapi-components.ts), so the document cannot drift from the code.
 */
import {
  errorResponse,
  type JsonObject,
  jsonSchemaOf,
  type ParameterDoc,
  type ResponseDoc,
  type RouteDoc,
  routeDocOf,
} from "./describe-route.js";
import { componentSchemas } from "./openapi-components.js";

/** What Hono's `app.routes` lists: one entry per handler, middleware included. */
export interface RegisteredRoute {
  method: string;
  path: string;
  handler: unknown;
}

const COMMON_ERRORS: Record<string, ResponseDoc> = {
  "401": errorResponse("Missing or invalid API key"),
  "403": errorResponse("The key's role does not allow this"),
  "503": {
    ...errorResponse("Redis is unavailable; retry after Retry-After seconds"),
    headers: { "Retry-After": { description: "seconds", schema: { type: "integer" } } },
  },
};
const BODY_ERRORS: Record<string, ResponseDoc> = {
  "400": errorResponse("Malformed JSON"),
  "413": errorResponse("Body over RQ_BODY_LIMIT_BYTES"),
  "415": errorResponse("Body is not application/json"),
  "422": errorResponse("Schema violations, one issue per field"),
};

/** `/v1/jobs/:id{.+}` → `/v1/jobs/{id}`, and the parameter names in order. */
export function toOpenApiPath(honoPath: string): { path: string; params: string[] } {
  const params: string[] = [];
  const path = honoPath
    .replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, (_match, name: string) => {
      params.push(name);
      return `{${name}}`;
    })
    .replace(/(.)\/$/, "$1");
  return { path, params };
}

const parameter = (name: string, location: string, doc: ParameterDoc | undefined, required: boolean) => ({
  name,
  in: location,
  required: location === "path" ? true : (doc?.required ?? required),
  schema: doc?.schema ? jsonSchemaOf(doc.schema) : { type: "string" },
  ...(doc?.description ? { description: doc.description } : {}),
  ...(doc?.example !== undefined ? { example: doc.example } : {}),
});

const response = (doc: ResponseDoc) => ({
  description: doc.description,
  ...(doc.headers
    ? {
        headers: Object.fromEntries(
          Object.entries(doc.headers).map(([name, header]) => [
            name,
            {
              description: header.description,
              schema: header.schema ? jsonSchemaOf(header.schema) : { type: "string" },
            },
          ]),
        ),
      }
    : {}),
  ...(doc.schema || doc.contentType
    ? { content: { [doc.contentType ?? "application/json"]: { schema: jsonSchemaOf(doc.schema ?? {}) } } }
    : {}),
});

function toOperation(doc: RouteDoc, path: string, pathParams: string[]): JsonObject {
  for (const name of Object.keys(doc.params ?? {})) {
    if (!pathParams.includes(name))
      throw new Error(`${doc.operationId}: ${path} has no path parameter ${name}`);
  }
  const open = doc.access === "public";
  // The route's own descriptions win over the generic ones.
  const responses: Record<string, ResponseDoc> = {
    ...(doc.body ? BODY_ERRORS : {}),
    ...(open ? {} : COMMON_ERRORS),
    ...doc.responses,
  };
  const access = open ? "Public: no API key needed." : `Needs the \`${doc.access}\` role.`;
  return {
    operationId: doc.operationId,
    summary: doc.summary,
    description: doc.description ? `${doc.description}\n\n${access}` : access,
    tags: [doc.tag],
    ...(open ? { security: [] } : {}),
    parameters: [
      ...pathParams.map((name) => parameter(name, "path", doc.params?.[name], true)),
      ...Object.entries(doc.query ?? {}).map(([name, p]) => parameter(name, "query", p, false)),
      ...Object.entries(doc.headers ?? {}).map(([name, p]) => parameter(name, "header", p, false)),
    ],
    ...(doc.body
      ? {
          requestBody: {
            required: doc.body.required,
            ...(doc.body.description ? { description: doc.body.description } : {}),
            content: { "application/json": { schema: jsonSchemaOf(doc.body.schema) } },
          },
        }
      : {}),
    responses: Object.fromEntries(
      Object.entries(responses)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([status, r]) => [status, response(r)]),
    ),
  };
}

/** Every (method, OpenAPI path) the routes describe, with its description. */
export function describedRoutes(routes: readonly RegisteredRoute[]) {
  const found: { method: string; path: string; params: string[]; doc: RouteDoc }[] = [];
  for (const route of routes) {
    const doc = routeDocOf(route.handler);
    if (!doc) continue;
    const { path, params } = toOpenApiPath(route.path);
    found.push({ method: route.method.toLowerCase(), path, params, doc });
  }
  return found;
}

export function buildOpenApiDocument(routes: readonly RegisteredRoute[]): JsonObject {
  const paths: Record<string, Record<string, JsonObject>> = {};
  const operationIds = new Set<string>();
  for (const { method, path, params, doc } of describedRoutes(routes)) {
    if (operationIds.has(doc.operationId)) throw new Error(`operationId ${doc.operationId} is used twice`);
    operationIds.add(doc.operationId);
    paths[path] ??= {};
    paths[path][method] = toOperation(doc, path, params);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "R-queue API",
      version: "v1",
      summary: "A distributed job queue on Redis",
      description:
        "Submit jobs, follow them, and operate queues and workers. Authenticate with `Authorization: Bearer <key>` " +
        '(roles `read`, `submit`, `admin`). Every error is `{"error": {"code", "message", "issues": [{"path", "message"}]}}`; ' +
        "a wrong method is 405 with `Allow`.",
    },
    servers: [{ url: "/" }],
    security: [{ bearer: [] }],
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: componentSchemas(),
    },
  };
}
