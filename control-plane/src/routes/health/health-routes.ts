/**
 * Probes, public: GET /healthz (the process is alive and serving) and GET /readyz
 * (it can do useful work: Redis answers PING and the process is not draining).
 */
import { Hono } from "hono";
import type { AppEnv } from "../../app/app-env.js";
import type { AppServices } from "../../app/services.js";
import { errorBody } from "../../http/api-error.js";
import { describeRoute, errorResponse } from "../openapi/describe-route.js";

const PING_TIMEOUT_MS = 1_000;
const STATUS = { type: "object", properties: { status: { type: "string" } }, required: ["status"] };

async function pingWithin(services: AppServices, ms: number): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no PING reply within ${ms} ms`), ms);
  });
  try {
    return await Promise.race([services.redis.ping().then(() => null), timeout]);
  } catch (error) {
    return (error as Error).message;
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(services: AppServices): Hono<AppEnv> {
  const router = new Hono<AppEnv>();
  router.get(
    "/healthz",
    describeRoute({
      operationId: "getLiveness",
      summary: "Liveness: the process is alive and serving",
      tag: "Meta",
      access: "public",
      responses: { "200": { description: "Alive", schema: STATUS } },
    }),
    (c) => c.json({ status: "ok" }),
  );
  router.get(
    "/readyz",
    describeRoute({
      operationId: "getReadiness",
      summary: "Readiness: Redis answers and the process is not draining",
      tag: "Meta",
      access: "public",
      responses: {
        "200": { description: "Ready", schema: STATUS },
        "503": errorResponse("Not ready: draining, or Redis does not answer (Retry-After)"),
      },
    }),
    async (c) => {
      if (services.lifecycle.draining) {
        return c.json(errorBody("draining", "shutting down; not accepting new work"), 503);
      }
      const problem = services.breaker.blockedReason() ?? (await pingWithin(services, PING_TIMEOUT_MS));
      if (problem) {
        c.header("Retry-After", "1");
        return c.json(errorBody("redis_unavailable", problem), 503);
      }
      return c.json({ status: "ready" });
    },
  );
  return router;
}
