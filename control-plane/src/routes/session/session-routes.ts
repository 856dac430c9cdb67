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
import { describeRoute } from "../openapi/describe-route.js";

export function sessionRoutes(services: AppServices): Hono<AppEnv> {
  const router = new Hono<AppEnv>();
  router.get(
    "/",
    describeRoute({
      operationId: "getSession",
      summary: "The caller's key name and role",
      tag: "Meta",
      access: "read",
      responses: {
        "200": {
          description: "Who is asking",
          schema: {
            type: "object",
            properties: {
              name: { type: "string" },
              role: { type: "string", enum: ["read", "submit", "admin"] },
              open: { type: "boolean", description: "true when the server runs without API keys" },
            },
            required: ["name", "role", "open"],
          },
        },
      },
    }),
    requireRole("read"),
    (c) => {
      const principal = c.get("principal");
      // requireRole("read") has turned the scrape-only metrics role away already.
      const body: SessionInfo = {
        name: principal.name,
        role: principal.role as SessionInfo["role"],
        open: services.apiKeys.open,
      };
      return c.json(body);
    },
  );
  return router;
}
