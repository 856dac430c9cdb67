/**
 * Authentication and authorization. `authenticate` resolves the bearer token to a
 * principal (401 without a valid one; everyone is admin in open mode, when no keys
 * are configured); `requireRole` guards each route with the least role it needs,
 * and `authorizeRoute` applies those same guards before the body is read, so a key
 * that may not call a route cannot make the server wait on its upload.
 */
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { AppEnv } from "../app/app-env.js";
import { type ApiKeyStore, type Role, roleAllows } from "../config/api-keys.js";
import { ApiError } from "./api-error.js";

const OPEN_PRINCIPAL = { name: "anonymous", role: "admin" } as const;

/** Says what is wrong with the header, the usual slip (a bare key, no `Bearer `) by name. */
function unauthorizedMessage(header: string): string {
  const usage = "send Authorization: Bearer <key>";
  if (!header.trim()) return `an API key is needed: ${usage}`;
  if (/^Bearer(\s|$)/i.test(header)) {
    return /^Bearer\s+\S+\s*$/i.test(header)
      ? "the API key is not valid"
      : `the Bearer key is missing: ${usage}`;
  }
  if (/^\S+$/.test(header.trim()))
    return `the Authorization header has no "Bearer " before the key: ${usage}`;
  return `the Authorization scheme must be Bearer: ${usage}`;
}

export function authenticate(keys: ApiKeyStore): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (keys.open) {
      c.set("principal", OPEN_PRINCIPAL);
      return next();
    }
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const principal = match?.[1] ? keys.authenticate(match[1]) : null;
    if (!principal) {
      throw new ApiError(401, "unauthorized", unauthorizedMessage(header), [], {
        "WWW-Authenticate": 'Bearer realm="rqueue"',
      });
    }
    c.set("principal", principal);
    return next();
  };
}

const REQUIRED_ROLE = Symbol("rqueue.requiredRole");
type Guard = MiddlewareHandler<AppEnv> & { [REQUIRED_ROLE]?: Role };

function assertRole(c: Context<AppEnv>, role: Role): void {
  const principal = c.get("principal");
  if (!principal || !roleAllows(principal.role, role)) {
    throw new ApiError(403, "forbidden", `this action needs the ${role} role`);
  }
}

export function requireRole(role: Role): MiddlewareHandler<AppEnv> {
  const guard: Guard = async (c, next) => {
    assertRole(c, role);
    return next();
  };
  guard[REQUIRED_ROLE] = role;
  return guard;
}

/** The role a handler demands, if it is a `requireRole` guard. */
export const requiredRoleOf = (handler: unknown): Role | undefined =>
  typeof handler === "function" ? (handler as Guard)[REQUIRED_ROLE] : undefined;

/**
 * Runs the role guards of the route that will answer (the first one registered for
 * this method and path; later matches never run) now, ahead of the body read.
 */
export function authorizeRoute(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const routes = matchedRoutes(c);
    const answering = routes.find((route) => route.method !== "ALL");
    if (answering) {
      for (const route of routes) {
        if (route.method !== answering.method || route.path !== answering.path) continue;
        const role = requiredRoleOf(route.handler);
        if (role) assertRole(c, role);
      }
    }
    return next();
  };
}
