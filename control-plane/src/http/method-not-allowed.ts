/**
 * 405 for a path the API has but not with this method: the methods that path
 * does accept, from the routes the app registered (so the answer cannot drift),
 * in the `Allow` header and in the error body's `allow`.
 */
import type { Context } from "hono";
import type { AppEnv } from "../app/app-env.js";
import type { RegisteredRoute } from "../routes/openapi/openapi-document.js";
import { errorBody } from "./api-error.js";

interface Pattern {
  regex: RegExp;
  methods: Set<string>;
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Hono's `/jobs/:id` or `/jobs/:id{.+}` as an anchored regular expression. */
function toRegex(path: string): RegExp {
  let source = "";
  let last = 0;
  for (const match of path.matchAll(/:[A-Za-z0-9_]+(?:\{([^}]*)\})?/g)) {
    source += escapeRegex(path.slice(last, match.index)) + (match[1] ? `(?:${match[1]})` : "[^/]+");
    last = (match.index ?? 0) + match[0].length;
  }
  source += escapeRegex(path.slice(last));
  return new RegExp(`^${source.replace(/(.)\/$/, "$1")}/?$`);
}

function compile(routes: readonly RegisteredRoute[]): Pattern[] {
  const byPath = new Map<string, Set<string>>();
  for (const route of routes) {
    // Middleware (`use`) is registered as ALL; wildcard routes are the dashboard's files.
    if (route.method === "ALL" || route.path.includes("*")) continue;
    const methods = byPath.get(route.path) ?? new Set<string>();
    methods.add(route.method);
    if (route.method === "GET") methods.add("HEAD");
    byPath.set(route.path, methods);
  }
  return [...byPath].map(([path, methods]) => ({ regex: toRegex(path), methods }));
}

/** Answers 405 when the path exists with other methods; null when no route has the path at all. */
export function methodNotAllowed(routes: () => readonly RegisteredRoute[]) {
  let patterns: Pattern[] | undefined;
  return (c: Context<AppEnv>): Response | null => {
    patterns ??= compile(routes());
    const allowed = new Set<string>();
    for (const pattern of patterns) {
      if (pattern.regex.test(c.req.path)) for (const method of pattern.methods) allowed.add(method);
    }
    if (allowed.size === 0 || allowed.has(c.req.method)) return null;
    const allow = [...allowed].sort();
    const message = `${c.req.method} is not allowed on ${c.req.path}; it accepts ${allow.join(", ")}`;
    c.header("Allow", allow.join(", "));
    return c.json({ error: { ...errorBody("method_not_allowed", message).error, allow } }, 405);
  };
}
