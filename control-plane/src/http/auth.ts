/**
 * Authentication and authorization. `authenticate` resolves the bearer token to a
 * principal (401 without a valid one; everyone is admin in open mode, when no keys
 * are configured); `requireRole` guards each route with the least role it needs.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app/app-env.js";
import { type ApiKeyStore, type Role, roleAllows } from "../config/api-keys.js";
import { ApiError } from "./api-error.js";

const OPEN_PRINCIPAL = { name: "anonymous", role: "admin" } as const;

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
      throw new ApiError(
        401,
        "unauthorized",
        header ? "the API key is not valid" : "send an API key as Authorization: Bearer <key>",
        [],
        { "WWW-Authenticate": 'Bearer realm="rqueue"' },
      );
    }
    c.set("principal", principal);
    return next();
  };
}

export function requireRole(role: Role): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = c.get("principal");
    if (!principal || !roleAllows(principal.role, role)) {
      throw new ApiError(403, "forbidden", `this action needs the ${role} role`);
    }
    return next();
  };
}
