/**
 * Route descriptions for the OpenAPI document, written beside each route:
 * `router.get("/:id", describeRoute({...}), requireRole("read"), handler)`.
 * `describeRoute` is a pass-through middleware that carries its description; the
 * document is built from the routes the app really registered (openapi-document.ts),
 * so a route cannot go undocumented or be documented at a path it does not have
 * (openapi-document.test.ts fails for a route without a description).
 */
import { toJsonSchema } from "@valibot/to-json-schema";
import type { MiddlewareHandler } from "hono";
import type * as v from "valibot";
import type { Role } from "../../config/api-keys.js";

export type JsonObject = Record<string, unknown>;

/** A valibot schema (converted to JSON Schema), a `ref("Name")` to a component, or plain JSON Schema. */
export type SchemaLike = v.GenericSchema | JsonObject;

export interface ParameterDoc {
  description: string;
  schema?: SchemaLike;
  required?: boolean;
  example?: unknown;
}

export interface ResponseDoc {
  description: string;
  /** JSON body schema; leave out for an empty body. */
  schema?: SchemaLike;
  /** Another media type than application/json, e.g. text/plain or text/event-stream. */
  contentType?: string;
  headers?: Record<string, ParameterDoc>;
}

export interface RouteDoc {
  /** Unique, camelCase: what code generators name the method. */
  operationId: string;
  summary: string;
  description?: string;
  /** Groups operations in the reference (the first tag is used). */
  tag: string;
  /** The least role the route needs; "public" routes need no key. Adds 401/403/503 responses. */
  access: Role | "public";
  /** Descriptions of the path parameters; every `:name` of the path is declared even without one. */
  params?: Record<string, ParameterDoc>;
  query?: Record<string, ParameterDoc>;
  headers?: Record<string, ParameterDoc>;
  /** A JSON request body. Adds the 400/413/415/422 responses every body read can give. */
  body?: { schema: SchemaLike; required: boolean; description?: string };
  responses: Record<string, ResponseDoc>;
}

const ROUTE_DOC = Symbol("rqueue.routeDoc");
const INTERNAL = Symbol("rqueue.internalRoute");

type Described = MiddlewareHandler & { [ROUTE_DOC]?: RouteDoc; [INTERNAL]?: string };

export function describeRoute(doc: RouteDoc): MiddlewareHandler {
  const middleware: Described = async (_c, next) => {
    await next();
  };
  middleware[ROUTE_DOC] = doc;
  return middleware;
}

/**
 * Marks a route that is not part of the API (static files), with the reason: it
 * stays out of the document, and the completeness test knows it was left out on purpose.
 */
export function internalRoute(reason: string): MiddlewareHandler {
  const middleware: Described = async (_c, next) => {
    await next();
  };
  middleware[INTERNAL] = reason;
  return middleware;
}

/** The description a handler carries, if it is a `describeRoute` middleware. */
export const routeDocOf = (handler: unknown): RouteDoc | undefined =>
  typeof handler === "function" ? (handler as Described)[ROUTE_DOC] : undefined;

/** Why a route is left out of the document, if it is an `internalRoute`. */
export const internalReasonOf = (handler: unknown): string | undefined =>
  typeof handler === "function" ? (handler as Described)[INTERNAL] : undefined;

/** A reference to a named schema of the document's components (see openapi-components.ts). */
export const ref = (name: string): JsonObject => ({ $ref: `#/components/schemas/${name}` });

/** The common error responses, by status, for routes to pick from. */
export const errorResponse = (description: string): ResponseDoc => ({ description, schema: ref("Error") });

const isValibot = (schema: SchemaLike): schema is v.GenericSchema =>
  (schema as { kind?: unknown }).kind === "schema" && "~standard" in schema;

/** JSON Schema (draft 2020-12, as OpenAPI 3.1 uses) of a SchemaLike. */
export const jsonSchemaOf = (schema: SchemaLike): JsonObject => {
  if (!isValibot(schema)) return schema;
  const { $schema: _ignored, ...rest } = toJsonSchema(schema, {
    errorMode: "ignore",
    target: "draft-2020-12",
  }) as JsonObject;
  return rest;
};

/** The `:id` of the job routes. */
export const JOB_ID_PARAM: ParameterDoc = {
  description: "Job id, `<queue>:<number>`",
  schema: { type: "string", pattern: "^.+:[1-9][0-9]*$" },
  example: "default:42",
};
