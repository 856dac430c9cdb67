/**
 * Queues: GET /v1/queues (per queue: counts per state, paused, backlog, oldest
 * pending age, circuit breakers), and the admin actions pause, resume and
 * resetting a job type's circuit breaker.
 */
import { getCircuitBreakers, resetCircuitBreaker } from "@rqueue/shared";
import { Hono } from "hono";
import type { AppEnv } from "../../app/app-env.js";
import type { AppServices } from "../../app/services.js";
import { requireRole } from "../../http/auth.js";

export function queuesRoutes(services: AppServices): Hono<AppEnv> {
  const router = new Hono<AppEnv>();

  router.get("/", requireRole("read"), async (c) => {
    const names = await services.queues.names();
    const queues = await Promise.all(
      names.map(async (name) => {
        const [gauges, breakers] = await Promise.all([
          services.queues.get(name).gauges(),
          getCircuitBreakers(services.redis, name),
        ]);
        return { ...gauges, breakers };
      }),
    );
    return c.json({ queues });
  });

  router.post("/:queue/pause", requireRole("admin"), async (c) => {
    const queue = await services.queues.getExisting(c.req.param("queue"));
    await queue.pause();
    return c.json({ name: queue.name, paused: true });
  });

  router.post("/:queue/resume", requireRole("admin"), async (c) => {
    const queue = await services.queues.getExisting(c.req.param("queue"));
    await queue.resume();
    return c.json({ name: queue.name, paused: false });
  });

  router.post("/:queue/breakers/:type/reset", requireRole("admin"), async (c) => {
    const queue = await services.queues.getExisting(c.req.param("queue"));
    const type = c.req.param("type");
    await resetCircuitBreaker(services.redis, queue.name, type);
    const breaker = (await getCircuitBreakers(services.redis, queue.name)).find((b) => b.type === type);
    return c.json(breaker ?? null);
  });

  return router;
}
