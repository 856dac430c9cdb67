import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../app/app-env.js";
import { describeRoute, errorResponse } from "./describe-route.js";
import { openApiRoutes, REDOC_BUNDLE_PATH } from "./openapi-routes.js";

function appWithOneRoute() {
  const app = new Hono<AppEnv>();
  app.post(
    "/v1/things/:thing/poke",
    describeRoute({
      operationId: "pokeThing",
      summary: "Poke a thing",
      tag: "Things",
      access: "admin",
      params: { thing: { description: "The thing" } },
      body: { schema: { type: "object" }, required: false },
      responses: { "200": { description: "Poked" }, "404": errorResponse("No such thing") },
    }),
    (c) => c.json({}),
  );
  app.route(
    "/",
    openApiRoutes(() => app.routes),
  );
  return app;
}

describe("describeRoute", () => {
  it("turns a route's description into its operation, path parameters declared, common errors added", async () => {
    const doc = (await (await appWithOneRoute().request("/openapi.json")).json()) as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    const operation = doc.paths["/v1/things/{thing}/poke"]?.post as {
      operationId: string;
      parameters: { name: string; in: string; required: boolean }[];
      responses: Record<string, unknown>;
    };
    expect(operation.operationId).toBe("pokeThing");
    expect(operation.parameters).toEqual([
      expect.objectContaining({ name: "thing", in: "path", required: true, description: "The thing" }),
    ]);
    expect(Object.keys(operation.responses)).toEqual([
      "200",
      "400",
      "401",
      "403",
      "404",
      "413",
      "415",
      "422",
      "503",
    ]);
  });
});

describe("GET /docs", () => {
  it("serves the API reference with Redoc bundled from node_modules, no URL of another origin", async () => {
    const app = appWithOneRoute();
    const res = await app.request("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(res.headers.get("content-security-policy")).not.toMatch(/https?:/);
    const page = await res.text();
    expect(page).toContain('spec-url="/openapi.json"');
    expect(page).toContain(`<script src="${REDOC_BUNDLE_PATH}">`);
    expect(page).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(page).not.toMatch(/https?:\/\//);
    const script = await app.request(REDOC_BUNDLE_PATH);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toContain("text/javascript");
    const bundle = await script.text();
    expect(bundle.length).toBeGreaterThan(500_000);
    expect(bundle).not.toContain("cdn.redoc.ly");
  });
});
