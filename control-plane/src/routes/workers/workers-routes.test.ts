import { deregisterWorker, recordHeartbeat, type WorkerSnapshot } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp } from "../../testing/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
});
afterAll(() => t.close());

const snapshot = (id: string, activeJobs: number): WorkerSnapshot => ({
  id,
  host: "host-1",
  pid: 42,
  taskArn: id.endsWith("ecs") ? "arn:aws:ecs:eu-west-1:1:task/c/abc" : null,
  version: "test",
  startedAt: new Date().toISOString(),
  queues: ["default"],
  concurrency: 10,
  activeJobs,
  processed: 5,
  failed: 1,
  memoryRssBytes: 1,
  eventLoopLagMs: 1,
  heartbeatMs: 1_000,
});

describe("GET /v1/workers", () => {
  it("lists workers with health, active jobs and ECS task", async () => {
    const healthy = `w-${Date.now()}-ecs`;
    const stale = `w-${Date.now()}-old`;
    await recordHeartbeat(t.redis, snapshot(healthy, 3));
    await recordHeartbeat(t.redis, snapshot(stale, 1), Date.now() - 10_000);
    try {
      const res = await t.request("/v1/workers");
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        workers: { id: string; status: string; taskArn: string | null }[];
      };
      const mine = body.workers.filter((w) => w.id === healthy || w.id === stale);
      expect(mine).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            id: healthy,
            status: "healthy",
            activeJobs: 3,
            taskArn: expect.stringContaining("task/"),
          }),
          expect.objectContaining({ id: stale, status: "stale" }),
        ]),
      );
      expect(body).toMatchObject({ summary: { total: expect.any(Number), healthy: expect.any(Number) } });
    } finally {
      await deregisterWorker(t.redis, healthy);
      await deregisterWorker(t.redis, stale);
    }
  });
});
