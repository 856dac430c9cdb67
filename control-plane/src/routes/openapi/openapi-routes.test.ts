import { describe, expect, it } from "vitest";
import { openApiRoutes } from "./openapi-routes.js";

describe("OpenAPI", () => {
  const app = openApiRoutes();

  it("serves a 3.1 document whose schemas come from the shared valibot schemas", async () => {
    const res = await app.request("/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
    };
    expect(doc.openapi).toBe("3.1.0");
    const input = doc.components.schemas.JobInput;
    expect(input?.required).toEqual(["type"]);
    expect(input?.properties?.priority).toEqual({ type: "integer", minimum: 1, maximum: 10 });
    expect(doc.components.schemas.Job?.properties).toHaveProperty("dependents");
    expect(input?.properties).toHaveProperty("dependsOn");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/v1/jobs",
        "/v1/jobs/batch",
        "/v1/jobs/{id}",
        "/v1/jobs/{id}/wait",
        "/v1/jobs/{id}/cancel",
        "/v1/jobs/{id}/retry",
        "/v1/jobs/{id}/graph",
        "/v1/dead-letter/retry",
        "/v1/dead-letter",
        "/v1/queues",
        "/v1/workers",
        "/v1/metrics",
        "/metrics",
        "/healthz",
        "/readyz",
      ]),
    );
  });

  it("serves a docs page without external scripts", async () => {
    const res = await app.request("/docs");
    expect(res.headers.get("content-type")).toContain("text/html");
    const page = await res.text();
    expect(page).toContain("POST /v1/jobs");
    expect(page).not.toMatch(/<script/i);
  });
});
