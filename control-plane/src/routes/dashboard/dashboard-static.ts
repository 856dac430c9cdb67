/**
 * Serves the dashboard's build (public) when its folder exists: files as they are,
 * and index.html for client-side routes. API paths never fall through to it.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { serveStatic } from "@hono/node-server/serve-static";
import { Hono } from "hono";
import type { AppEnv } from "../../app/app-env.js";
import { internalRoute } from "../openapi/describe-route.js";

const API_PREFIXES = ["/v1/", "/metrics", "/openapi.json", "/docs", "/healthz", "/readyz"];

export function dashboardRoutes(dir: string): Hono<AppEnv> | null {
  const root = resolve(dir);
  const index = join(root, "index.html");
  if (!existsSync(index)) return null;
  const router = new Hono<AppEnv>();
  router.use("*", serveStatic({ root }));
  router.get("*", internalRoute("the dashboard's client-side routes"), async (c, next) => {
    const path = c.req.path;
    if (API_PREFIXES.some((prefix) => path === prefix || path.startsWith(prefix)) || /\.\w+$/.test(path)) {
      return next();
    }
    return c.html(await readFile(index, "utf8"));
  });
  return router;
}
