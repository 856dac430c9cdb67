/**
 * The dashboard's benchmark (admin): POST /v1/benchmarks {type, jobs, batchSize,
 * cpuRounds, queue} starts a timed load (409 while one runs anywhere), GET
 * /v1/benchmarks/current shows the latest run ({run: null} before the first), POST /v1/benchmarks/current/cancel
 * stops it (the jobs already added stay).
 */
import {
  BenchmarkBusyError,
  BenchmarkInputSchema,
  cancelBenchmarkRun,
  getBenchmarkRun,
  startBenchmarkRun,
} from "@rqueue/shared";
import { Hono } from "hono";
import * as v from "valibot";
import type { AppEnv } from "../../app/app-env.js";
import type { AppServices } from "../../app/services.js";
import { ApiError, unprocessable } from "../../http/api-error.js";
import { requireRole } from "../../http/auth.js";
import { readJsonObject } from "../../http/read-json.js";
import { toFieldIssues } from "../jobs/job-input.js";
import { describeRoute, errorResponse, ref } from "../openapi/describe-route.js";

export function benchmarksRoutes(services: AppServices): Hono<AppEnv> {
  const router = new Hono<AppEnv>();

  router.post(
    "/",
    describeRoute({
      operationId: "startBenchmark",
      summary: "Start a timed load: N noop or cpu jobs added in batches, followed as workers drain them",
      description: "One at a time; follow it with GET /v1/benchmarks/current.",
      tag: "Benchmarks",
      access: "admin",
      body: { schema: ref("BenchmarkInput"), required: true },
      responses: {
        "202": { description: "Started: the run", schema: { type: "object" } },
        "409": errorResponse("A benchmark is already running"),
      },
    }),
    requireRole("admin"),
    async (c) => {
      const parsed = v.safeParse(BenchmarkInputSchema, await readJsonObject(c));
      if (!parsed.success) throw unprocessable(toFieldIssues(parsed.issues));
      const queue = c.var.queues.outliving(parsed.output.queue);
      try {
        const { run, done } = await startBenchmarkRun(
          services.redis,
          queue,
          parsed.output,
          c.get("principal").name,
        );
        void done.then((finished) =>
          services.log.info(
            { benchmark: finished.id, status: finished.status, drainRate: Math.round(finished.drainRate) },
            "benchmark ended",
          ),
        );
        return c.json(run, 202);
      } catch (error) {
        if (error instanceof BenchmarkBusyError) throw new ApiError(409, error.code, error.message);
        throw error;
      }
    },
  );

  router.get(
    "/current",
    describeRoute({
      operationId: "getCurrentBenchmark",
      summary: "The latest benchmark: progress, enqueue and drain rates, latency, samples",
      tag: "Benchmarks",
      access: "read",
      responses: {
        "200": {
          description: "The run, or null before the first",
          schema: { type: "object", properties: { run: { type: ["object", "null"] } } },
        },
      },
    }),
    requireRole("read"),
    async (c) => c.json({ run: await getBenchmarkRun(services.redis) }),
  );

  router.post(
    "/current/cancel",
    describeRoute({
      operationId: "cancelBenchmark",
      summary: "Stop the running benchmark (jobs already added stay)",
      tag: "Benchmarks",
      access: "admin",
      responses: {
        "200": {
          description: "The run",
          schema: { type: "object", properties: { run: { type: ["object", "null"] } } },
        },
        "409": errorResponse("No benchmark is running"),
      },
    }),
    requireRole("admin"),
    async (c) => {
      if (!(await cancelBenchmarkRun(services.redis))) {
        throw new ApiError(409, "illegal_transition", "no benchmark is running");
      }
      return c.json({ run: await getBenchmarkRun(services.redis) });
    },
  );

  return router;
}
