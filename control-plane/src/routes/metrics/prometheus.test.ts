import {
  Consumer,
  configureCircuitBreaker,
  createRedis,
  deregisterWorker,
  Queue,
  RateLimitedError,
  type RedisClient,
  recordHeartbeat,
} from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { loadConfig } from "../../config/config.js";
import { createLogger } from "../../logging/logger.js";
import { type RunningControlPlane, startControlPlane } from "../../server/start-server.js";
import { promtoolCheck, readScrape, type Scrape, sampleValue } from "../../testing/prometheus-check.js";
import { uniqueQueue, waitUntilReady } from "../../testing/test-app.js";

const redisUrl = inject("redisUrl");
const KEYS = { scrape: "scraper-secret-0123456789", reader: "reader-secret-01234567890" };
const API_KEYS = `prom:${KEYS.scrape}:metrics,dash:${KEYS.reader}:read`;

let redis: RedisClient;
beforeAll(async () => {
  redis = createRedis(redisUrl);
  await waitUntilReady(redis);
});
afterAll(() => redis.quit());

function start(env: Record<string, string> = {}): Promise<RunningControlPlane> {
  const config = loadConfig({
    REDIS_URL: redisUrl,
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_LEVEL: "silent",
    RQ_API_KEYS: API_KEYS,
    RQ_DASHBOARD_DIR: "/nonexistent-dashboard",
    RQ_MAINTAIN_INTERVAL_MS: "0",
    ...env,
  });
  return startControlPlane(config, createLogger("silent"));
}

/** Scrapes /metrics and has promtool parse and lint the text before anything reads it. */
async function scrape(plane: RunningControlPlane): Promise<Scrape> {
  const res = await fetch(`${plane.url}/metrics`, { headers: { authorization: `Bearer ${KEYS.scrape}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
  const text = await res.text();
  const checked = await promtoolCheck(text);
  expect(checked.output).toBe("");
  expect(checked.code).toBe(0);
  return readScrape(text);
}

/** Runs `completed` jobs to completion and `failed` to the dead-letter set, of one type. */
async function runJobs(queue: string, type: string, completed: number, failed: number): Promise<void> {
  await new Queue({ redis, name: queue }).addBulk(
    Array.from({ length: completed + failed }, () => ({ type, maxAttempts: 1 })),
  );
  const consumer = new Consumer({ redis, queue, workerId: "prom-test" });
  const { taken } = await consumer.settle([], completed + failed);
  await consumer.settle(
    taken.map((lease, i) =>
      i < completed
        ? { lease, kind: "completed" as const }
        : { lease, kind: "failed" as const, error: new Error("x") },
    ),
    0,
  );
  await consumer.close();
}

const seriesId = (name: string, labels: Record<string, string>) => {
  const { le: _le, ...rest } = labels;
  return `${name}${JSON.stringify(rest)}`;
};

/** Every counter and histogram sample (bucket, sum, count) of the given queues, keyed by series. */
function cumulativeSeries(scrape: Scrape, queues: string[]): Map<string, number> {
  const series = new Map<string, number>();
  for (const sample of scrape.samples) {
    if (!queues.includes(sample.labels.queue ?? "")) continue;
    const family = sample.name.replace(/_(bucket|sum|count)$/, "");
    const type = scrape.types.get(sample.name) ?? scrape.types.get(family);
    if (type !== "counter" && type !== "histogram") continue;
    series.set(`${sample.name}${JSON.stringify(sample.labels)}`, sample.value);
  }
  return series;
}

/** Buckets never decrease with `le`, and +Inf equals _count, in every histogram series. */
function expectConsistentHistograms(scrape: Scrape): void {
  const buckets = new Map<string, number[]>();
  for (const sample of scrape.samples) {
    if (!sample.name.endsWith("_bucket")) continue;
    const id = seriesId(sample.name.slice(0, -"_bucket".length), sample.labels);
    buckets.set(id, [...(buckets.get(id) ?? []), sample.value]);
  }
  expect(buckets.size).toBeGreaterThan(0);
  for (const [id, counts] of buckets) {
    counts.forEach((n, i) => {
      expect(n, id).toBeGreaterThanOrEqual(counts[i - 1] ?? 0);
    });
    const count = scrape.samples.find(
      (s) => seriesId(s.name.replace(/_count$/, ""), s.labels) === id && s.name.endsWith("_count"),
    );
    expect(count?.value, id).toBe(counts.at(-1));
  }
}

describe("GET /metrics", () => {
  it("parses as Prometheus text: per-type histograms with _sum and consistent buckets, current at once", async () => {
    const queue = uniqueQueue("prom");
    await configureCircuitBreaker(redis, queue, "alpha", { minCalls: 1000 });
    await runJobs(queue, "alpha", 3, 1);
    await runJobs(queue, "beta", 2, 0);
    const plane = await start();
    try {
      const metrics = await scrape(plane);
      expectConsistentHistograms(metrics);
      expect(metrics.types.get("rqueue_job_run_seconds")).toBe("histogram");
      // No lag: the jobs settled a moment ago are counted, per type, with their sum.
      const run = (type: string, suffix: string, labels: Record<string, string> = {}) =>
        sampleValue(metrics, `rqueue_job_run_seconds_${suffix}`, { queue, type, ...labels });
      expect([run("alpha", "count"), run("beta", "count"), run("beta", "bucket", { le: "+Inf" })]).toEqual([
        4, 2, 2,
      ]);
      expect(run("alpha", "sum")).toBeGreaterThanOrEqual(0);
      expect(sampleValue(metrics, "rqueue_job_wait_seconds_count", { queue, type: "beta" })).toBe(2);
      expect(sampleValue(metrics, "rqueue_jobs_completed_total", { queue })).toBe(5);
      expect(sampleValue(metrics, "rqueue_jobs_failed_total", { queue })).toBe(1);
      expect(sampleValue(metrics, "rqueue_jobs", { queue, state: "failed" })).toBe(1);
      const breaker = (state: string) =>
        sampleValue(metrics, "rqueue_circuit_breaker_state", { queue, type: "alpha", state });
      expect([breaker("closed"), breaker("open"), breaker("half-open")]).toEqual([1, 0, 0]);
      expect(sampleValue(metrics, "rqueue_circuit_breaker_failure_rate", { queue, type: "alpha" })).toBe(
        0.25,
      );
    } finally {
      await plane.close();
    }
  });

  it("keeps counters and histograms monotonic across a control-plane restart", async () => {
    const queue = uniqueQueue("prom-restart");
    await runJobs(queue, "work", 2, 1);
    const first = await start();
    const before = cumulativeSeries(await scrape(first), [queue]);
    await first.close();
    await runJobs(queue, "work", 3, 0);
    const second = await start();
    try {
      const after = cumulativeSeries(await scrape(second), [queue]);
      expect(before.size).toBeGreaterThan(30);
      for (const [id, value] of before) expect(after.get(id), id).toBeGreaterThanOrEqual(value);
      const count = `rqueue_job_run_seconds_count${JSON.stringify({ queue, type: "work" })}`;
      expect([before.get(count), after.get(count)]).toEqual([3, 6]);
    } finally {
      await second.close();
    }
  });

  it("reports flow control per queue and type, and runs limited upstream", async () => {
    const queue = uniqueQueue("prom-flow");
    const jobs = new Queue({ redis, name: queue });
    await jobs.setFlowLimit({ scope: "group", type: "sync" }, { concurrency: 1 });
    await jobs.addBulk([
      ...["acme", "acme", "globex", "globex"].map((group) => ({ type: "sync", group })),
      { type: "api" },
    ]);
    const consumer = new Consumer({ redis, queue, workerId: "prom-flow", types: ["sync"] });
    expect((await consumer.settle([], 4)).taken).toHaveLength(2);
    // Each group's one slot is taken: the next take parks both until a job of theirs ends.
    expect((await consumer.settle([], 4)).taken).toHaveLength(0);
    const upstream = new Consumer({ redis, queue, workerId: "prom-flow-api", types: ["api"] });
    const [api] = (await upstream.settle([], 1)).taken;
    await upstream.settle(
      [{ lease: api as NonNullable<typeof api>, kind: "failed", error: new RateLimitedError(60_000) }],
      0,
    );
    await Promise.all([consumer.close(), upstream.close()]);
    const plane = await start();
    try {
      const metrics = await scrape(plane);
      const flow = (name: string) => sampleValue(metrics, name, { queue, type: "sync" });
      expect(metrics.types.get("rqueue_flow_groups_waiting_for_slot")).toBe("gauge");
      expect([
        flow("rqueue_flow_running_jobs"),
        flow("rqueue_flow_groups_active"),
        flow("rqueue_flow_groups_parked"),
        flow("rqueue_flow_groups_waiting_for_slot"),
      ]).toEqual([2, 0, 0, 2]);
      // A type without a rule or groups has no flow series.
      expect(sampleValue(metrics, "rqueue_flow_running_jobs", { queue, type: "api" })).toBeUndefined();
      expect(metrics.types.get("rqueue_jobs_limited_total")).toBe("counter");
      expect(sampleValue(metrics, "rqueue_jobs_limited_total", { queue })).toBe(1);
      expect(sampleValue(metrics, "rqueue_jobs_failed_total", { queue })).toBe(0);
    } finally {
      await plane.close();
    }
  });

  it("counts live workers and their busy and total slots", async () => {
    const plane = await start();
    const id = `prom-worker-${process.pid}-${Date.now()}`;
    const gauge = async (name: string) => sampleValue(await scrape(plane), name) ?? Number.NaN;
    try {
      const slots = await gauge("rqueue_worker_slots");
      const busy = await gauge("rqueue_worker_busy_slots");
      await recordHeartbeat(redis, {
        id,
        host: "test",
        pid: 1,
        taskArn: null,
        version: "test",
        startedAt: new Date().toISOString(),
        queues: ["default"],
        concurrency: 7,
        activeJobs: 3,
        processed: 0,
        failed: 0,
        memoryRssBytes: 0,
        eventLoopLagMs: 0,
        heartbeatMs: 60_000,
      });
      // Other suites register workers on the same Redis, so compare with the reading before.
      expect(await gauge("rqueue_worker_slots")).toBeGreaterThanOrEqual(slots + 7);
      expect(await gauge("rqueue_worker_busy_slots")).toBeGreaterThanOrEqual(busy + 3);
    } finally {
      await deregisterWorker(redis, id);
      await plane.close();
    }
  });
});

describe("who may scrape", () => {
  it("lets a metrics-role key scrape and nothing else", async () => {
    const plane = await start();
    try {
      const get = (path: string, key?: string) =>
        fetch(`${plane.url}${path}`, key ? { headers: { authorization: `Bearer ${key}` } } : {});
      expect((await get("/metrics")).status).toBe(401);
      expect((await get("/metrics", KEYS.scrape)).status).toBe(200);
      expect((await get("/metrics", KEYS.reader)).status).toBe(200);
      expect((await get("/v1/jobs?state=pending", KEYS.scrape)).status).toBe(403);
      expect((await get("/v1/session", KEYS.scrape)).status).toBe(403);
    } finally {
      await plane.close();
    }
  });

  it("lets an address on RQ_METRICS_ALLOW scrape without a key, and only /metrics", async () => {
    const allowed = await start({ RQ_METRICS_ALLOW: "10.0.0.0/8, 127.0.0.1" });
    const other = await start({ RQ_METRICS_ALLOW: "10.0.0.0/8" });
    try {
      expect((await fetch(`${allowed.url}/metrics`)).status).toBe(200);
      expect((await fetch(`${allowed.url}/v1/jobs?state=pending`)).status).toBe(401);
      expect((await fetch(`${other.url}/metrics`)).status).toBe(401);
    } finally {
      await Promise.all([allowed.close(), other.close()]);
    }
  });

  it("names every bad RQ_METRICS_ALLOW entry", () => {
    expect(() => loadConfig({ RQ_METRICS_ALLOW: "10.0.0.0/33, nope, ::1/64" })).toThrow(
      /RQ_METRICS_ALLOW: "10.0.0.0\/33" is not an IP address[\s\S]*"nope"/,
    );
  });
});
