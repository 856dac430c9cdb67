import { createRedis } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisServerHandle, startRedisServer } from "../../../shared/test/redis-harness.js";
import { createTestApp, type TestApp, uniqueQueue } from "../testing/test-app.js";

let server: RedisServerHandle;
let t: TestApp;
beforeAll(async () => {
  server = await startRedisServer();
  t = await createTestApp(server.url, { RQ_REDIS_TIMEOUT_MS: "300" });
});
afterAll(async () => {
  await t.close();
  await server.stop();
});

const timed = async (run: () => Promise<Response>) => {
  const started = performance.now();
  const res = await run();
  return { res, ms: performance.now() - started };
};

describe("Redis outages", () => {
  it("answers 503 fast while Redis is down, then recovers without a restart", async () => {
    const queue = uniqueQueue("outage");
    const submit = () => t.request("/v1/jobs", { method: "POST", json: { type: "a", queue } });
    expect((await submit()).status).toBe(201);

    await server.kill();
    for (let i = 0; i < 5; i++) {
      const { res, ms } = await timed(submit);
      expect(res.status).toBe(503);
      expect(ms).toBeLessThan(100);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("redis_unavailable");
    }
    expect((await t.request("/readyz")).status).toBe(503);
    expect((await t.request("/healthz")).status).toBe(200);

    await server.start();
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await submit()).status;
      if (status === 201) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(201);
    expect((await t.request("/readyz")).status).toBe(200);
  });

  it("answers 503 within the deadline when Redis hangs, and opens the breaker", async () => {
    const admin = createRedis(server.url);
    try {
      await admin.call("CLIENT", "PAUSE", "1500", "ALL");
      const hung = await timed(() => t.request(`/v1/jobs/${uniqueQueue()}:1`));
      expect(hung.res.status).toBe(503);
      expect(hung.ms).toBeGreaterThanOrEqual(250);
      expect(hung.ms).toBeLessThan(1_000);
      await t.request(`/v1/jobs/${uniqueQueue()}:1`);
      const fast = await timed(() => t.request(`/v1/jobs/${uniqueQueue()}:1`));
      expect(fast.res.status).toBe(503);
      expect(fast.ms).toBeLessThan(100);
      await new Promise((resolve) => setTimeout(resolve, 1_600));
      expect((await t.request(`/v1/jobs/${uniqueQueue()}:1`)).status).toBe(404);
    } finally {
      admin.disconnect();
    }
  });
});
