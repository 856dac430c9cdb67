import { describe, expect, it } from "vitest";
import { buildOpenApiDocument } from "./openapi-document.js";

describe("OpenAPI: the dashboard's endpoints", () => {
  it("documents operations, replay, logs, dead-letter groups, stats history and the session, with resolvable refs", () => {
    const doc = buildOpenApiDocument() as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown> };
    };
    for (const [path, method] of [
      ["/v1/operations", "post"],
      ["/v1/operations", "get"],
      ["/v1/operations/{id}", "get"],
      ["/v1/operations/{id}/cancel", "post"],
      ["/v1/jobs/{id}/replay", "post"],
      ["/v1/jobs/{id}/logs", "get"],
      ["/v1/dead-letter/groups", "get"],
      ["/v1/stats/history", "get"],
      ["/v1/session", "get"],
      ["/v1/benchmarks", "post"],
      ["/v1/benchmarks/current", "get"],
    ] as const) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    expect(Object.keys(doc.paths["/v1/operations"]?.post?.responses ?? {})).toEqual(
      expect.arrayContaining(["202", "403", "422"]),
    );
    const refs = [...JSON.stringify(doc).matchAll(/"#\/components\/schemas\/([A-Za-z]+)"/g)].map(
      (m) => m[1] as string,
    );
    for (const name of new Set(refs)) expect(doc.components.schemas[name], name).toBeDefined();
    expect(JSON.stringify(doc.components.schemas.Job)).toContain("replayOf");
  });
});
