/**
 * Worker stack traces (`lastError.stack`, `errors[].stack`) name files, paths and
 * library versions on the worker hosts: only principals with the configured role
 * (RQ_STACKS_ROLE, admin by default) see them. Applied to every JSON answer under
 * /v1 after the route ran, so no route that returns jobs (read, list, wait, actions,
 * dead letters, search, an idempotent replay of a submit) can forget it. The answer
 * is only re-encoded when it holds a stack; payloads and results are never touched.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app/app-env.js";
import { type Role, roleAllows } from "../config/api-keys.js";

/** Job fields holding client data, not attempt errors: left exactly as stored. */
const CLIENT_DATA = new Set(["payload", "result", "progress"]);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

function dropStack(error: unknown): unknown {
  if (!isRecord(error) || !("stack" in error)) return error;
  const { stack: _stack, ...rest } = error;
  return rest;
}

/** The value with the stack of every attempt error removed (lastError, errors[]). */
export function withoutStacks(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutStacks);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (CLIENT_DATA.has(key)) out[key] = child;
    else if (key === "lastError") out[key] = dropStack(child);
    else if (key === "errors" && Array.isArray(child)) out[key] = child.map(dropStack);
    else out[key] = withoutStacks(child);
  }
  return out;
}

export function hideStacks(visibleTo: Role | "none"): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const principal = c.get("principal");
    if (visibleTo !== "none" && principal && roleAllows(principal.role, visibleTo)) return;
    if (!c.res.headers.get("content-type")?.startsWith("application/json")) return;
    const text = await c.res.clone().text();
    if (!text.includes('"stack"')) return;
    const { status, headers } = c.res;
    const stripped = new Headers(headers);
    stripped.delete("content-length");
    // Unset first: assigning over a response copies the old one's headers (its length) onto the new.
    c.res = undefined;
    c.res = new Response(JSON.stringify(withoutStacks(JSON.parse(text))), { status, headers: stripped });
  };
}
