/**
 * GET /openapi.json (the document built from the app's own routes, once, at the
 * first request: every route is registered by then) and GET /docs, the API
 * reference: Redoc's standalone bundle, served from node_modules at
 * /docs/redoc.standalone.js, renders the same document. A Content-Security-Policy
 * keeps the page from loading anything from another origin. All public: they
 * describe the API, they expose no data.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { Hono } from "hono";
import type { AppEnv } from "../../app/app-env.js";
import { describeRoute, internalRoute, type JsonObject } from "./describe-route.js";
import { buildOpenApiDocument, type RegisteredRoute } from "./openapi-document.js";

export const REDOC_BUNDLE_PATH = "/docs/redoc.standalone.js";

// Styles inline (Redoc's styled-components), search in a blob: worker, nothing from elsewhere.
const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; base-uri 'none'; form-action 'none'";

const DOCS_PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>R-queue API reference</title>
    <link rel="icon" href="data:," />
    <style>body { margin: 0; }</style>
  </head>
  <body>
    <redoc spec-url="/openapi.json" expand-responses="200,201,202" path-in-middle-panel></redoc>
    <script src="${REDOC_BUNDLE_PATH}"></script>
  </body>
</html>
`;

const bundleFile = createRequire(import.meta.url).resolve("redoc/bundles/redoc.standalone.js");
// The bundle's only load from another origin: the footer's logo, which hides itself when it fails.
const REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg";

/** `routes` is read at the first request, when the app has registered everything. */
export function openApiRoutes(routes: () => readonly RegisteredRoute[]): Hono<AppEnv> {
  const router = new Hono<AppEnv>();
  let document: JsonObject | undefined;
  let bundle: Promise<string> | undefined;

  router.get(
    "/openapi.json",
    describeRoute({
      operationId: "getOpenApiDocument",
      summary: "This document",
      tag: "Meta",
      access: "public",
      responses: { "200": { description: "OpenAPI 3.1", schema: { type: "object" } } },
    }),
    (c) => {
      document ??= buildOpenApiDocument(routes());
      return c.json(document);
    },
  );

  router.get(
    "/docs",
    describeRoute({
      operationId: "getApiReference",
      summary: "The API reference (HTML) rendered from this document",
      tag: "Meta",
      access: "public",
      responses: {
        "200": { description: "HTML page", contentType: "text/html", schema: { type: "string" } },
      },
    }),
    (c) => {
      c.header("Content-Security-Policy", DOCS_CSP);
      return c.html(DOCS_PAGE);
    },
  );

  router.get(REDOC_BUNDLE_PATH, internalRoute("the reference page's script"), async (c) => {
    bundle ??= readFile(bundleFile, "utf8").then((text) => text.replaceAll(REDOC_LOGO, "data:,"));
    c.header("Cache-Control", "public, max-age=86400");
    return c.body(await bundle, 200, { "Content-Type": "text/javascript; charset=utf-8" });
  });
  return router;
}
