/**
 * The circuit breaker as workers see it: handler types get breakers with the
 * configured thresholds; failures open it, its jobs then wait as pending with
 * their attempts unused, and after the cooldown a probe's success closes it.
 */
import { getCircuitBreakers, Queue } from "@rqueue/shared";
import { describe, expect, it } from "vitest";
import { eventually, sleep, targets, uniqueQueue, useRedis } from "../../shared/test/engine-fixture.js";
import { startTestWorker, testConfig } from "./testing/in-process.js";

describe.each(targets)("circuit breaker in the worker (%s)", (_name, url) => {
  const redis = useRedis(url);

  it("opens on failures, holds jobs pending, lets a probe through after the cooldown and closes", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("breaker") });
    await startTestWorker(
      testConfig(url, {
        RQ_QUEUES: queue.name,
        RQ_CB_MIN_CALLS: "4",
        RQ_CB_FAILURE_RATE: "0.5",
        RQ_CB_COOLDOWN_MS: "1000",
        RQ_CB_PROBES: "1",
      }),
    );
    const breaker = async (type: string) =>
      (await getCircuitBreakers(redis(), queue.name)).find((entry) => entry.type === type);

    await queue.addBulk(
      Array.from({ length: 4 }, () => ({ type: "flaky", payload: { failureRate: 1 }, maxAttempts: 1 })),
    );
    await eventually(async () => (await breaker("flaky"))?.state === "open", 5_000);
    const healthy = await queue.addBulk(
      Array.from({ length: 5 }, () => ({ type: "flaky", payload: { failureRate: 0 }, maxAttempts: 1 })),
    );
    // Other types are not held back meanwhile; `fail` has no breaker at all.
    await queue.add({ type: "fail", payload: {}, maxAttempts: 1 });
    await eventually(async () => (await queue.counts()).byType.fail?.failed === 1, 3_000);
    await sleep(300);
    expect((await breaker("flaky"))?.state).toBe("open");
    for (const { id } of healthy) {
      expect(await queue.getJobOrThrow(id)).toMatchObject({ state: "pending", attempts: 0 });
    }
    expect(await breaker("fail")).toBeUndefined();

    await eventually(async () => (await queue.counts()).byType.flaky?.completed === 5, 5_000);
    expect(await breaker("flaky")).toMatchObject({
      state: "closed",
      config: { minCalls: 4, cooldownMs: 1_000, halfOpenProbes: 1 },
    });
    for (const { id } of healthy) expect(await queue.getJobOrThrow(id)).toMatchObject({ attempts: 1 });
  });
});
