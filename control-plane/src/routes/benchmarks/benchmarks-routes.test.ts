import { type BenchmarkRun, Consumer } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createShortDeadlineApp, createTestApp, type TestApp, uniqueQueue } from "../../testing/test-app.js";

const ADMIN = "admin-secret-0123456789";
const READ = "read-secret-0123456789";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"), { RQ_API_KEYS: `ops:${ADMIN}:admin,viewer:${READ}:read` });
});
afterAll(() => t.close());

const current = async () => {
  const { run } = (await (await t.request("/v1/benchmarks/current", { key: READ })).json()) as {
    run: BenchmarkRun | null;
  };
  if (!run) throw new Error("no benchmark run");
  return run;
};

/** Plays the worker: completes whatever the queue holds until told to stop. */
function drain(queue: string) {
  const consumer = new Consumer({ redis: t.redis, queue, workerId: "bench-worker" });
  let stopped = false;
  const done = (async () => {
    let taken = await consumer.take(100);
    while (!stopped) {
      if (taken.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      const outcomes = taken.map((lease) => ({ lease, kind: "completed" as const, result: null }));
      taken = (await consumer.settle(outcomes, 100)).taken;
    }
    await consumer.close();
  })();
  return async () => {
    stopped = true;
    await done;
  };
}

describe("benchmarks", () => {
  it("adds the jobs in batches, follows the drain to the end and reports rates; one run at a time", async () => {
    const queue = uniqueQueue("bench");
    const stop = drain(queue);
    const started = await t.request("/v1/benchmarks", {
      method: "POST",
      key: ADMIN,
      json: { queue, type: "noop", jobs: 600, batchSize: 200 },
    });
    expect(started.status).toBe(202);
    const run = (await started.json()) as BenchmarkRun;
    expect(run).toMatchObject({
      status: "running",
      createdBy: "ops",
      input: { queue, jobs: 600, batchSize: 200 },
    });

    const second = await t.request("/v1/benchmarks", {
      method: "POST",
      key: ADMIN,
      json: { queue, type: "noop", jobs: 100 },
    });
    expect(second.status).toBe(409);

    const deadline = Date.now() + 30_000;
    let latest = await current();
    while (latest.status === "running" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      latest = await current();
    }
    await stop();
    expect(latest).toMatchObject({
      id: run.id,
      status: "completed",
      enqueued: 600,
      completed: 600,
      failed: 0,
    });
    expect(latest.enqueueRate).toBeGreaterThan(0);
    expect(latest.drainRate).toBeGreaterThan(0);
    expect(latest.waitMs.p50).not.toBeNull();
    expect(latest.samples.at(-1)).toMatchObject({ enqueued: 600, completed: 600 });
    expect(latest.finishedAt).not.toBeNull();
  });

  it("cancels a running benchmark, and refuses bad input and the read role", async () => {
    const queue = uniqueQueue("bench-cancel");
    const started = await t.request("/v1/benchmarks", {
      method: "POST",
      key: ADMIN,
      json: { queue, type: "cpu", jobs: 1000, batchSize: 100, cpuRounds: 10 },
    });
    expect(started.status).toBe(202);
    expect((await t.request("/v1/benchmarks/current/cancel", { method: "POST", key: ADMIN })).status).toBe(
      200,
    );
    const deadline = Date.now() + 10_000;
    let latest = await current();
    while (latest.status === "running" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      latest = await current();
    }
    expect(latest.status).toBe("canceled");
    expect((await t.request("/v1/benchmarks/current/cancel", { method: "POST", key: ADMIN })).status).toBe(
      409,
    );

    const bad = await t.request("/v1/benchmarks", {
      method: "POST",
      key: ADMIN,
      json: { type: "sleep", jobs: 5 },
    });
    expect(bad.status).toBe(422);
    const issues = ((await bad.json()) as { error: { issues: { path: string }[] } }).error.issues.map(
      (i) => i.path,
    );
    expect(issues).toEqual(expect.arrayContaining(["type", "jobs"]));
    expect(
      (await t.request("/v1/benchmarks", { method: "POST", key: READ, json: { type: "noop", jobs: 100 } }))
        .status,
    ).toBe(403);
  });
});

describe("a benchmark outliving its request", () => {
  let short: TestApp;
  beforeAll(async () => {
    short = await createShortDeadlineApp(inject("redisUrl"), 200);
  });
  afterAll(() => short.close());

  // The request that starts the run has a Redis deadline of 200 ms; 300 batches of adds
  // take longer. The run's scripts must not carry that deadline.
  it("adds every job although adding outlasts the request's deadline", async () => {
    const queue = uniqueQueue("bench-long");
    const consumer = new Consumer({ redis: short.redis, queue, workerId: "bench-long" });
    const started = await short.request("/v1/benchmarks", {
      method: "POST",
      json: { queue, type: "noop", jobs: 30_000, batchSize: 100 },
    });
    expect(started.status).toBe(202);
    let run = (await started.json()) as BenchmarkRun;
    for (const until = Date.now() + 120_000; run.status === "running" && Date.now() < until; ) {
      const taken = await consumer.take(500);
      if (taken.length > 0) {
        await consumer.settle(
          taken.map((lease) => ({ lease, kind: "completed" as const, result: null })),
          0,
        );
      } else {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const body = (await (await short.request("/v1/benchmarks/current")).json()) as { run: BenchmarkRun };
      run = body.run;
    }
    await consumer.close();
    expect(run).toMatchObject({ status: "completed", enqueued: 30_000, completed: 30_000, failed: 0 });
  });
});
