/**
 * Hard timeouts: a job over its timeout fails its attempt even when its handler
 * ignores the AbortSignal, and a thread-isolated handler stuck in CPU work is
 * actually stopped (its thread terminated) while the worker keeps serving.
 */
import { Queue } from "@rqueue/shared";
import * as v from "valibot";
import { describe, expect, inject, it } from "vitest";
import { eventually, uniqueQueue, useRedis } from "../../shared/test/engine-fixture.js";
import { defineHandler } from "./handler-definition.js";
import { loadHandlers } from "./handler-registry.js";
import { startTestWorker, testConfig } from "./testing/in-process.js";
import { waitFor } from "./testing/wait.js";

const redisUrl = inject("redisUrl");

describe("hard timeouts", () => {
  const redis = useRedis(redisUrl);

  it("terminates the thread of a stuck CPU job at its timeout and keeps serving other jobs", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("timeout") });
    const worker = await startTestWorker(testConfig(redisUrl, { RQ_QUEUES: queue.name, RQ_THREADS: "1" }));
    const stuck = await queue.add({
      type: "cpu",
      payload: { rounds: 1_000_000_000 },
      timeoutMs: 400,
      maxAttempts: 1,
    });
    const startedAt = Date.now();
    const failed = await waitFor(async () => {
      const job = await queue.getJobOrThrow(stuck.id);
      return job.state === "failed" ? job : null;
    }, 5_000);
    expect(Date.now() - startedAt).toBeLessThan(2_000);
    expect(failed.lastError).toMatchObject({ reason: "timeout", message: "job timed out after 400 ms" });
    // Terminated, not abandoned: this process stops burning a core.
    const before = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(process.cpuUsage(before).user / 1_000).toBeLessThan(250);

    // The only thread was freed: a quick CPU job runs in a fresh one, with the same digest every time.
    const quick = await queue.addBulk([
      { type: "cpu", payload: { rounds: 1_000 } },
      { type: "cpu", payload: { rounds: 1_000 } },
    ]);
    await eventually(async () => (await queue.counts()).total.completed === 2, 10_000);
    const results = await Promise.all(quick.map(async ({ id }) => (await queue.getJobOrThrow(id)).result));
    expect(results[0]).toMatchObject({ rounds: 1_000, digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(results[1]).toEqual(results[0]);
    expect(worker.manager.activeCount).toBe(0);
  });

  it("fails the attempt of a main-thread handler that ignores its signal, and frees its slot", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("timeout") });
    const registry = new Map(await loadHandlers());
    let finishedLate = false;
    const stubborn = defineHandler({
      type: "stubborn",
      payload: v.object({}),
      timeoutMs: 300,
      async handle() {
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        finishedLate = true;
        return "too late";
      },
    });
    registry.set("stubborn", { definition: stubborn, moduleUrl: import.meta.url });
    await startTestWorker(testConfig(redisUrl, { RQ_QUEUES: queue.name, RQ_CONCURRENCY: "1" }), { registry });
    const { id } = await queue.add({ type: "stubborn", maxAttempts: 1 });
    const next = await queue.add({ type: "noop" });
    await eventually(async () => (await queue.getJobOrThrow(next.id)).state === "completed", 3_000);
    expect(finishedLate).toBe(false);
    expect(await queue.getJobOrThrow(id)).toMatchObject({
      state: "failed",
      result: null,
      lastError: { reason: "timeout", message: "job timed out after 300 ms" },
    });
  });
});
