/**
 * The auth matrix: every documented route × no key, a wrong key and each role,
 * against the real app on a Redis of its own (admin calls really run). Checks that
 * each route's documented access is the role its guard enforces, that keys below it
 * get 401/403 and keys at or above it get neither (and never a 5xx), and that
 * docs/auth-matrix.md is this table. RQ_UPDATE_DOCS=1 rewrites the file.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisServerHandle, startRedisServer } from "../../../shared/test/redis-harness.js";
import { ROLES, type Role, roleAllows } from "../config/api-keys.js";
import { routeDocOf } from "../routes/openapi/describe-route.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";
import { requiredRoleOf } from "./auth.js";

const DOC_FILE = fileURLToPath(new URL("../../../docs/auth-matrix.md", import.meta.url));
const secretOf = (role: Role) => `${role}-matrix-secret-0123456789`;
const CALLERS: { name: string; key: string | null; role: Role | null }[] = [
  { name: "no key", key: null, role: null },
  { name: "wrong key", key: "not-a-key-0123456789abcdef", role: null },
  ...ROLES.map((role) => ({ name: role, key: secretOf(role), role })),
];

interface Route {
  method: string;
  path: string;
  access: Role | "public" | undefined;
  guard: Role | undefined;
}

/** Each method and path once, with its documented access and the role its guard checks. */
function routesOf(app: TestApp["app"]): Route[] {
  const byKey = new Map<string, Route>();
  for (const entry of app.routes) {
    if (entry.method === "ALL") continue;
    const key = `${entry.method} ${entry.path}`;
    const route = byKey.get(key) ?? {
      method: entry.method,
      path: entry.path,
      access: undefined,
      guard: undefined,
    };
    route.access ??= routeDocOf(entry.handler)?.access;
    route.guard ??= requiredRoleOf(entry.handler);
    byKey.set(key, route);
  }
  return [...byKey.values()].filter((route) => route.access !== undefined || route.guard !== undefined);
}

/** A concrete path: job ids look like ids, other parameters like names. */
const concrete = (path: string) =>
  path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, (_m, name: string) =>
    name === "id" ? "authmatrix:999999999" : "authmatrix",
  );

let redis: RedisServerHandle;
let t: TestApp;
let routes: Route[];
const outcomes = new Map<string, Map<string, string>>();

beforeAll(async () => {
  redis = await startRedisServer();
  t = await createTestApp(redis.url, {
    RQ_API_KEYS: ROLES.map((role) => `${role}-key:${secretOf(role)}:${role}`).join(","),
    RQ_REQUIRE_REGISTERED_TYPES: "0",
  });
  routes = routesOf(t.app);
});
afterAll(async () => {
  await t.close();
  await redis.stop();
});

async function call(route: Route, key: string | null): Promise<number> {
  const init: RequestInit & { json?: unknown; key?: string } = { method: route.method };
  if (key) init.key = key;
  if (route.method !== "GET") init.json = {};
  const query = route.method === "GET" ? "?timeoutMs=0" : "";
  const res = await t.request(`${concrete(route.path)}${query}`, init);
  // Streams (events) answer at once; stop reading them.
  await res.body?.cancel();
  return res.status;
}

describe("auth matrix", () => {
  it("documents every guarded route with the role its guard checks", () => {
    const mismatched = routes
      .filter((route) =>
        route.access === "public" ? route.guard !== undefined : route.access !== route.guard,
      )
      .map((route) => `${route.method} ${route.path}: documented ${route.access}, guarded by ${route.guard}`);
    expect(mismatched).toEqual([]);
  });

  it("refuses callers below a route's role and lets the others through", async () => {
    const wrong: string[] = [];
    for (const route of routes) {
      const needed = route.guard ?? route.access;
      const row = new Map<string, string>();
      for (const caller of CALLERS) {
        const status = await call(route, caller.key);
        const expected =
          needed === "public" || needed === undefined
            ? "allowed"
            : caller.role === null
              ? "401"
              : roleAllows(caller.role, needed)
                ? "allowed"
                : "403";
        // 501: the route is there but its feature is off here (search without an archive).
        const got =
          status === 401 || status === 403
            ? String(status)
            : status >= 500 && status !== 501
              ? `${status}`
              : "allowed";
        if (got !== expected)
          wrong.push(`${route.method} ${route.path} as ${caller.name}: ${status}, expected ${expected}`);
        row.set(caller.name, got);
      }
      outcomes.set(`${route.method} ${route.path}`, row);
    }
    expect(wrong).toEqual([]);
  });

  it("is what docs/auth-matrix.md says", () => {
    const header = ["Endpoint", "Needs", ...CALLERS.map((caller) => caller.name)];
    const rows = routes.map((route) => {
      const row = outcomes.get(`${route.method} ${route.path}`);
      const cells = CALLERS.map((caller) =>
        row?.get(caller.name) === "allowed" ? "✓" : (row?.get(caller.name) ?? "?"),
      );
      return [`\`${route.method} ${route.path}\``, route.guard ?? route.access ?? "", ...cells];
    });
    const widths = header.map((cell, i) =>
      Math.max(cell.length, ...rows.map((row) => (row[i] ?? "").length)),
    );
    const line = (cells: string[]) =>
      `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(" | ")} |`;
    const table = [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join(
      "\n",
    );
    const expected = `# Auth matrix

Every route of the API against each kind of caller, as \`control-plane/src/http/auth-matrix.test.ts\`
observed it (the test fails when this file is out of date; \`RQ_UPDATE_DOCS=1 npx vitest run
control-plane/src/http/auth-matrix.test.ts\` rewrites it). ✓: the key gets through to the route
(which may still answer 404 or 422); 401: no or an unknown key; 403: the key's role is too low.
Roles include each other: admin ⊇ submit ⊇ read ⊇ metrics. With no keys configured (development
only) every caller is admin. The dashboard's files are public and not listed.

${table}
`;
    if (process.env.RQ_UPDATE_DOCS === "1") writeFileSync(DOC_FILE, expected);
    let current = "";
    try {
      current = readFileSync(DOC_FILE, "utf8");
    } catch {
      // Missing: reported as out of date below.
    }
    expect(current, "docs/auth-matrix.md is out of date: rerun with RQ_UPDATE_DOCS=1").toBe(expected);
  });
});
