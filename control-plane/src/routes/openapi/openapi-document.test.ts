import { createConfig, lintFromString } from "@redocly/openapi-core";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp } from "../../testing/test-app.js";
import { internalReasonOf, routeDocOf } from "./describe-route.js";

interface Operation {
  operationId?: string;
  summary?: string;
  parameters?: { name: string; in: string }[];
  responses?: Record<string, unknown>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

let t: TestApp;
let doc: Document;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
  doc = (await (await t.request("/openapi.json")).json()) as Document;
});
afterAll(() => t.close());

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
  );

describe("GET /openapi.json", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    expect(doc.openapi).toBe("3.1.0");
    const result = await new Validator().validate(doc as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("passes Redocly's recommended rules without an error (path parameters, operationIds, refs, examples)", async () => {
    const problems = await lintFromString({
      source: JSON.stringify(doc),
      absoluteRef: "/openapi.json",
      config: await createConfig({ extends: ["recommended"] }),
    });
    const errors = problems
      .filter((problem) => problem.severity === "error")
      .map((problem) => `${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer}`);
    expect(errors).toEqual([]);
  });

  it("declares every path parameter, and gives each operation a unique operationId, a summary and responses", () => {
    const ids = new Set<string>();
    for (const { path, method, operation } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      for (const [, name] of path.matchAll(/\{([^}]+)\}/g)) {
        expect(
          operation.parameters?.some((p) => p.in === "path" && p.name === name),
          `${where}: {${name}}`,
        ).toBe(true);
      }
      expect(operation.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
      expect(ids.has(operation.operationId as string), `${where}: operationId used twice`).toBe(false);
      ids.add(operation.operationId as string);
      expect(operation.summary, where).toBeTruthy();
      expect(Object.keys(operation.responses ?? {}).length, where).toBeGreaterThan(0);
    }
    const refs = [...JSON.stringify(doc).matchAll(/"#\/components\/schemas\/([A-Za-z]+)"/g)];
    for (const [, name] of refs) expect(doc.components.schemas[name as string], name).toBeDefined();
  });

  it("describes every route the app registered, at its real path and method", () => {
    const routes = new Map<string, { documented: boolean }>();
    for (const route of t.app.routes) {
      if (route.method === "ALL") continue; // middleware
      const key = `${route.method} ${route.path}`;
      const entry = routes.get(key) ?? { documented: false };
      if (routeDocOf(route.handler) || internalReasonOf(route.handler)) entry.documented = true;
      routes.set(key, entry);
    }
    const undocumented = [...routes].filter(([, entry]) => !entry.documented).map(([key]) => key);
    expect(undocumented, "add describeRoute({...}) to these routes").toEqual([]);
    const documented = new Set(
      operations().map(
        ({ path, method }) => `${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ":$1")}`,
      ),
    );
    for (const key of routes.keys()) {
      if (key.includes("*") || key.endsWith(".js")) continue;
      expect(documented.has(key.replace(/\{[^}]*\}/g, "").replace(/(.)\/$/, "$1")), key).toBe(true);
    }
  });
});

describe("a wrong method", () => {
  const sample = (path: string) =>
    path.replace("{id}", "default:1").replace("{queue}", "default").replace("{type}", "echo");
  const patternOf = (path: string) => new RegExp(`^${path.replace(/\{[^}]+\}/g, "[^/]+")}$`);

  it("answers 405 on every documented path, with Allow listing the methods the path accepts", async () => {
    for (const path of Object.keys(doc.paths)) {
      const concrete = sample(path);
      const allowed = new Set<string>();
      for (const [other, methods] of Object.entries(doc.paths)) {
        if (!patternOf(other).test(concrete)) continue;
        for (const method of Object.keys(methods)) allowed.add(method.toUpperCase());
      }
      if (allowed.has("GET")) allowed.add("HEAD");
      // A method this path does not take (PATCH, unless it updates something, as schedules do).
      const method = ["PATCH", "PUT", "DELETE", "POST"].find((m) => !allowed.has(m)) as string;
      const res = await t.request(concrete, { method });
      expect(res.status, `${method} ${concrete}`).toBe(405);
      const expected = [...allowed].sort();
      expect(res.headers.get("allow"), concrete).toBe(expected.join(", "));
      const body = (await res.json()) as { error: { code: string; message: string; allow: string[] } };
      expect(body.error.code).toBe("method_not_allowed");
      expect(body.error.allow).toEqual(expected);
      expect(body.error.message).toContain(`${method} is not allowed`);
    }
  });

  it("leaves an unknown path a 404", async () => {
    const res = await t.request("/v1/nothing-here", { method: "PATCH" });
    expect(res.status).toBe(404);
    expect(res.headers.get("allow")).toBeNull();
  });
});
