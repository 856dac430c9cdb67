/**
 * GET /openapi.json and a self-contained docs page at GET /docs (no external
 * scripts: it renders the same document server-side). Both are public: they
 * describe the API, they do not expose data.
 */
import { Hono } from "hono";
import { html, raw } from "hono/html";
import type { AppEnv } from "../../app/app-env.js";
import { buildOpenApiDocument } from "./openapi-document.js";

interface Operation {
  summary?: string;
  description?: string;
  parameters?: { name: string; in: string; required?: boolean; description?: string }[];
  responses?: Record<string, { description?: string }>;
}

function renderDocs(document: ReturnType<typeof buildOpenApiDocument>) {
  const paths = document.paths as Record<string, Record<string, Operation>>;
  const rows = Object.entries(paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(
      ([method, operation]) => html`<section>
        <h2><code>${method.toUpperCase()} ${path}</code></h2>
        <p>${operation.summary ?? ""} ${operation.description ?? ""}</p>
        ${
          operation.parameters?.length
            ? html`<ul>
                ${operation.parameters.map(
                  (p) =>
                    html`<li><code>${p.name}</code> (${p.in}${p.required ? ", required" : ""}) ${p.description ?? ""}</li>`,
                )}
              </ul>`
            : ""
        }
        <p>Responses: ${Object.entries(operation.responses ?? {})
          .map(([status, response]) => `${status} ${response.description ?? ""}`)
          .join(" · ")}</p>
      </section>`,
    ),
  );
  const schemas = JSON.stringify((document.components as { schemas: unknown }).schemas, null, 2);
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>R-queue API</title>
        <style>
          body { font: 15px/1.5 system-ui, sans-serif; max-width: 960px; margin: 2rem auto; padding: 0 1rem; }
          section { border-top: 1px solid #ddd; } pre { background: #f6f6f6; padding: 1rem; overflow: auto; }
        </style>
      </head>
      <body>
        <h1>R-queue API v1</h1>
        <p>Machine-readable: <a href="/openapi.json">/openapi.json</a>. Errors always look like
          <code>{"error": {"code", "message", "issues": [{"path", "message"}]}}</code>.</p>
        ${rows}
        <h2>Schemas</h2>
        <pre>${raw(schemas.replace(/&/g, "&amp;").replace(/</g, "&lt;"))}</pre>
      </body>
    </html>`;
}

export function openApiRoutes(): Hono<AppEnv> {
  const router = new Hono<AppEnv>();
  const document = buildOpenApiDocument();
  const page = renderDocs(document);
  router.get("/openapi.json", (c) => c.json(document));
  router.get("/docs", async (c) => c.html(await page));
  return router;
}
