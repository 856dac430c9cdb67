import { describe, expect, it } from "vitest";
import { sleep, targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { Consumer } from "../consumer/consumer.js";
import type { LeasedJob, Outcome } from "../consumer/leased-job.js";
import { CircuitBreakerNotFoundError, ValidationError } from "../errors.js";
import { Queue } from "../queue/queue.js";
import { configureCircuitBreaker, getCircuitBreakers, resetCircuitBreaker } from "./circuit-breaker.js";

const failed = (jobs: LeasedJob[]): Outcome[] =>
  jobs.map((lease) => ({ lease, kind: "failed", error: new Error("downstream is down") }));
const completed = (jobs: LeasedJob[]): Outcome[] => jobs.map((lease) => ({ lease, kind: "completed" }));

describe.each(targets)("circuit breaker (%s)", (_name, url) => {
  const redis = useRedis(url);
  const setup = async (config = {}, types?: string[]) => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("cb") });
    const consumer = new Consumer({
      redis: redis(),
      queue: queue.name,
      workerId: "w1",
      ...(types ? { types } : {}),
    });
    await configureCircuitBreaker(redis(), queue.name, "flaky", {
      failureRateThreshold: 0.5,
      minCalls: 4,
      windowMs: 10_000,
      cooldownMs: 300,
      halfOpenProbes: 2,
      ...config,
    });
    const breaker = async (type = "flaky") =>
      (await getCircuitBreakers(redis(), queue.name)).find((entry) => entry.type === type);
    return { queue, consumer, breaker };
  };
  const addFlaky = (queue: Queue, n: number) =>
    queue.addBulk(Array.from({ length: n }, () => ({ type: "flaky", maxAttempts: 1 })));

  it("opens at the failure rate once enough calls are in, holding jobs pending with attempts unused", async () => {
    const { queue, consumer, breaker } = await setup();
    const added = await addFlaky(queue, 10);

    await consumer.settle(failed(await consumer.take(3)), 0);
    expect(await breaker()).toMatchObject({ state: "closed", calls: 3, failures: 3, failureRate: 1 });

    const [fourth] = await consumer.take(1);
    const before = Date.now();
    const result = await consumer.settle(failed(fourth ? [fourth] : []), 5);
    expect(result.taken).toEqual([]);
    // The loop sleeps until the breaker lets probes through, not a fixed poll.
    expect(result.nextDueInMs).toBeGreaterThanOrEqual(250 - (Date.now() - before));

    const open = await breaker();
    expect(open).toMatchObject({ state: "open", calls: 4, failureRate: 1 });
    expect(Date.parse(open?.reopensAt ?? "") - Date.parse(open?.openedAt ?? "")).toBe(300);
    expect(await consumer.take(5)).toEqual([]);
    expect((await queue.counts()).total).toMatchObject({ pending: 6, failed: 4 });
    expect(await queue.getJobOrThrow(added[9]?.id ?? "")).toMatchObject({ state: "pending", attempts: 0 });
  });

  it("lets a few probes through after the cooldown; their successes close it", async () => {
    const { queue, consumer, breaker } = await setup();
    await addFlaky(queue, 10);
    await consumer.settle(failed(await consumer.take(4)), 0);
    expect((await breaker())?.state).toBe("open");

    await sleep(320);
    expect((await breaker())?.state).toBe("half-open");
    const probes = await consumer.take(5);
    expect(probes).toHaveLength(2);
    expect(await consumer.take(5)).toEqual([]);

    const result = await consumer.settle(completed(probes), 5);
    expect(result.taken).toHaveLength(4);
    expect(await breaker()).toMatchObject({ state: "closed", calls: 0, reopensAt: null });
  });

  it("opens again when a probe fails", async () => {
    const { queue, consumer, breaker } = await setup({ halfOpenProbes: 1 });
    await addFlaky(queue, 8);
    await consumer.settle(failed(await consumer.take(4)), 0);
    await sleep(320);
    const probes = await consumer.take(5);
    expect(probes).toHaveLength(1);
    const result = await consumer.settle(failed(probes), 5);
    expect(result.taken).toEqual([]);
    expect((await breaker())?.state).toBe("open");
  });

  it("stays closed below the threshold and forgets outcomes that left the window", async () => {
    const { queue, consumer, breaker } = await setup({ windowMs: 200, failureRateThreshold: 0.75 });
    await addFlaky(queue, 12);
    const first = await consumer.take(4);
    await consumer.settle([...failed(first.slice(0, 2)), ...completed(first.slice(2))], 0);
    expect(await breaker()).toMatchObject({ state: "closed", calls: 4, failureRate: 0.5 });

    await sleep(250);
    await consumer.settle(failed(await consumer.take(3)), 0);
    // Six failures out of eight would open it; only the last three are still in the window.
    expect(await breaker()).toMatchObject({ state: "closed", calls: 3, failures: 3 });
  });

  it("holds back only the open type: other types keep flowing", async () => {
    const { queue, consumer, breaker } = await setup();
    await addFlaky(queue, 6);
    await consumer.settle(failed(await consumer.take(4)), 0);
    expect((await breaker())?.state).toBe("open");
    await queue.addBulk([{ type: "noop" }, { type: "noop" }]);
    const taken = await consumer.take(10);
    expect(taken.map((job) => job.type)).toEqual(["noop", "noop"]);
    expect(await breaker("noop")).toBeUndefined();
  });

  it("resets an open breaker at once, and names unknown breakers and bad input", async () => {
    const { queue, consumer, breaker } = await setup({ cooldownMs: 60_000 });
    await addFlaky(queue, 6);
    await consumer.settle(failed(await consumer.take(4)), 0);
    expect((await breaker())?.state).toBe("open");

    await resetCircuitBreaker(redis(), queue.name, "flaky");
    expect(await breaker()).toMatchObject({ state: "closed", calls: 0, config: { cooldownMs: 60_000 } });
    // Consumers blocked on the marker are woken for the jobs it held back.
    expect(await consumer.waitForWork(1_000)).toBe(true);
    expect(await consumer.take(10)).toHaveLength(2);
    await consumer.close();

    await expect(resetCircuitBreaker(redis(), queue.name, "noop")).rejects.toBeInstanceOf(
      CircuitBreakerNotFoundError,
    );
    await expect(resetCircuitBreaker(redis(), "bad{queue}", "flaky")).rejects.toMatchObject({
      issues: [{ path: "queue" }],
    });
  });

  it("validates thresholds, fills in defaults and removes a breaker with null", async () => {
    const { queue } = await setup();
    const error = await configureCircuitBreaker(redis(), queue.name, "flaky", {
      failureRateThreshold: 1.5,
      minCalls: 0,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((issue) => issue.path)).toEqual([
      "circuitBreaker.failureRateThreshold",
      "circuitBreaker.minCalls",
    ]);
    expect(await configureCircuitBreaker(redis(), queue.name, "other", { minCalls: 7 })).toEqual({
      failureRateThreshold: 0.5,
      minCalls: 7,
      windowMs: 60_000,
      cooldownMs: 30_000,
      halfOpenProbes: 1,
    });
    await addFlaky(queue, 1);
    expect(await getCircuitBreakers(redis(), queue.name)).toHaveLength(1);
    await configureCircuitBreaker(redis(), queue.name, "flaky", null);
    expect(await getCircuitBreakers(redis(), queue.name)).toEqual([]);
  });

  it("caps a take per job type when the caller asks (a worker's per-type concurrency)", async () => {
    const { queue, consumer } = await setup({}, ["flaky", "noop"]);
    await queue.addBulk(Array.from({ length: 5 }, () => ({ type: "flaky" })));
    await queue.addBulk(Array.from({ length: 5 }, () => ({ type: "noop" })));
    const first = await consumer.settle([], 10, { flaky: 2 });
    expect(first.taken.filter((job) => job.type === "flaky")).toHaveLength(2);
    expect(first.taken.filter((job) => job.type === "noop")).toHaveLength(5);
    const second = await consumer.settle([], 10, { flaky: 0 });
    expect(second.taken).toEqual([]);
  });
});
