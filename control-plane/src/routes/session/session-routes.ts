/**
 * GET /v1/session: the caller's key name and role (and whether the server runs
 * without keys), so a client such as the dashboard hides what the role may not do.
 * The server still enforces every role on its own.
 */
import type { SessionInfo } from "@rqueue/shared";
import { Hono } from "hono";
import type { AppEnv } from "../../app/app-env.js";
import type { AppServices } from "../../app/services.js";
import { requireRole } from "../../http/auth.js";

export function sessionRoutes(services: AppServices): Hono<AppEnv> {
  const router = new Hono<AppEnv>();
  router.get("/", requireRole("read"), (c) => {
    const principal = c.get("principal");
    const body: SessionInfo = { name: principal.name, role: principal.role, open: services.apiKeys.open };
    return c.json(body);
  });
  return router;
}
