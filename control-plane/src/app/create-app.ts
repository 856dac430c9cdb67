/**
 * Assembles the Hono app: request context and the one error handler for all;
 * public probes, OpenAPI and dashboard; in front of /v1 and /metrics, in this
 * order, authentication, the body read (size-limited) and the Redis breaker with
 * its deadline; then each feature's routes.
 */
import { Hono } from "hono";
import { errorBody } from "../http/api-error.js";
import { authenticate, authorizeRoute } from "../http/auth.js";
import { hideStacks } from "../http/hide-stacks.js";
import { methodNotAllowed } from "../http/method-not-allowed.js";
import { handleError } from "../http/on-error.js";
import { bufferBody } from "../http/read-json.js";
import { redisGuard } from "../http/redis-guard.js";
import { requestContext } from "../http/request-context.js";
import { authenticateScrape } from "../http/scrape-auth.js";
import { securityHeaders } from "../http/security-headers.js";
import { submitRateLimit } from "../http/submit-rate-limit.js";
import { benchmarksRoutes } from "../routes/benchmarks/benchmarks-routes.js";
import { dashboardRoutes } from "../routes/dashboard/dashboard-static.js";
import { deadLetterRoutes } from "../routes/dead-letter/dead-letter-routes.js";
import { eventsRoutes } from "../routes/events/events-routes.js";
import { flowRoutes } from "../routes/flow/flow-routes.js";
import { healthRoutes } from "../routes/health/health-routes.js";
import { jobsRoutes } from "../routes/jobs/jobs-routes.js";
import { prometheusRoutes, snapshotRoutes } from "../routes/metrics/metrics-routes.js";
import { openApiRoutes } from "../routes/openapi/openapi-routes.js";
import { operationsRoutes } from "../routes/operations/operations-routes.js";
import { queueSettingsRoutes } from "../routes/queues/queue-settings-routes.js";
import { queuesRoutes } from "../routes/queues/queues-routes.js";
import { schedulesRoutes } from "../routes/schedules/schedules-routes.js";
import { searchRoutes } from "../routes/search/search-routes.js";
import { sessionRoutes } from "../routes/session/session-routes.js";
import { statsRoutes } from "../routes/stats/stats-routes.js";
import { typesRoutes } from "../routes/types/types-routes.js";
import { workersRoutes } from "../routes/workers/workers-routes.js";
import type { AppEnv } from "./app-env.js";
import type { AppServices } from "./services.js";

/**
 * Requests whose Redis work may rightly outlast the request deadline: long polls
 * wait on purpose, bulk dead-letter actions work through many chunks, a batch
 * gives each queue's write the deadline on its own (one hung shard must not hide
 * what the others wrote). Each of their Redis commands still has its own timeout,
 * so a hung Redis fails them too.
 */
const isUnbounded = (path: string) =>
  /^\/v1\/jobs\/[^/]+\/wait$/.test(path) ||
  /^\/v1\/dead-letter(\/|$)/.test(path) ||
  path === "/v1/jobs/batch";

export function createApp(services: AppServices): Hono<AppEnv> {
  const { config, log } = services;
  const app = new Hono<AppEnv>();
  app.onError((error, c) => handleError(error, c, log));
  const wrongMethod = methodNotAllowed(() => app.routes);
  app.notFound(
    (c) =>
      wrongMethod(c) ?? c.json(errorBody("not_found", `no route for ${c.req.method} ${c.req.path}`), 404),
  );
  app.use("*", requestContext(log), securityHeaders());

  app.route("/", healthRoutes(services));
  app.route(
    "/",
    openApiRoutes(() => app.routes),
  );

  const breaker = redisGuard(services.queues, services.breaker, config.redisTimeoutMs, isUnbounded);
  // Authenticated and authorized before the body is read; the body is read before the Redis deadline starts.
  app.use(
    "/v1/*",
    authenticate(services.apiKeys),
    authorizeRoute(),
    hideStacks(config.stacksRole),
    bufferBody(config.bodyLimitBytes, config.bodyTimeoutMs),
    breaker,
  );
  const submitLimit = submitRateLimit(services.redis, config.submitRate);
  app.use("/v1/jobs", submitLimit);
  app.use("/v1/jobs/batch", submitLimit);
  app.use("/metrics", authenticateScrape(services.apiKeys, config.metricsAllow), breaker);

  app.route("/v1/jobs", jobsRoutes(services));
  app.route("/v1/dead-letter", deadLetterRoutes(services));
  app.route("/v1/queues", queuesRoutes(services));
  app.route("/v1/queues", queueSettingsRoutes(services));
  app.route("/v1/queues", flowRoutes());
  app.route("/v1/types", typesRoutes(services));
  app.route("/v1/events", eventsRoutes(services));
  app.route("/v1/workers", workersRoutes(services));
  app.route("/v1/search", searchRoutes(services));
  app.route("/v1/session", sessionRoutes(services));
  app.route("/v1/operations", operationsRoutes(services));
  app.route("/v1/schedules", schedulesRoutes(services));
  app.route("/v1/stats", statsRoutes(services));
  app.route("/v1/benchmarks", benchmarksRoutes(services));
  app.route("/v1/metrics", snapshotRoutes(services));
  app.route("/metrics", prometheusRoutes(services));

  const dashboard = dashboardRoutes(config.dashboardDir);
  if (dashboard) app.route("/", dashboard);
  return app;
}
