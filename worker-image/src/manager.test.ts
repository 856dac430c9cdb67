/**
 * The manager and processor inside a running worker: queue weights, per-type
 * concurrency caps, payload validation, retry caps, and handlers run in threads.
 */
import { getJobLogs, Queue } from "@rqueue/shared";
import * as v from "valibot";
import { describe, expect, inject, it } from "vitest";
import { eventually, sleep, uniqueQueue, useRedis } from "../../shared/test/engine-fixture.js";
import { defineHandler } from "./handler-definition.js";
import { loadHandlers } from "./handler-registry.js";
import { splitConcurrency } from "./manager.js";
import { startTestWorker, testConfig } from "./testing/in-process.js";
import { waitFor } from "./testing/wait.js";

const redisUrl = inject("redisUrl");
const noBackoff = { strategy: "fixed", delayMs: 0 } as const;

describe("splitConcurrency", () => {
  it("splits by weight with at least one slot per queue", () => {
    expect(splitConcurrency(8, [3, 1])).toEqual([6, 2]);
    expect(splitConcurrency(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(splitConcurrency(3, [100, 1, 1])).toEqual([1, 1, 1]);
    expect(splitConcurrency(50, [1])).toEqual([50]);
  });
});

describe("manager and processor", () => {
  const redis = useRedis(redisUrl);
  const queue = () => new Queue({ redis: redis(), name: uniqueQueue("mgr") });

  it("serves every queue with its weighted share of the concurrency", async () => {
    const [heavy, light] = [queue(), queue()];
    const worker = await startTestWorker(
      testConfig(redisUrl, { RQ_QUEUES: `${heavy.name}:3,${light.name}:1`, RQ_CONCURRENCY: "8" }),
    );
    expect(worker.manager.concurrencyByQueue).toEqual({ [heavy.name]: 6, [light.name]: 2 });
    await heavy.addBulk(Array.from({ length: 12 }, () => ({ type: "sleep", payload: { ms: 200 } })));
    await light.addBulk(Array.from({ length: 12 }, () => ({ type: "sleep", payload: { ms: 200 } })));
    await sleep(100);
    expect((await heavy.counts()).total.processing).toBe(6);
    expect((await light.counts()).total.processing).toBe(2);
  });

  it("keeps a type within its concurrency cap while other types use the rest", async () => {
    const q = queue();
    const registry = new Map(await loadHandlers());
    let running = 0;
    let peak = 0;
    const capped = defineHandler({
      type: "capped",
      payload: v.object({}),
      concurrency: 2,
      async handle() {
        running++;
        peak = Math.max(peak, running);
        await sleep(100);
        running--;
      },
    });
    registry.set("capped", { definition: capped, moduleUrl: import.meta.url });
    await startTestWorker(testConfig(redisUrl, { RQ_QUEUES: q.name, RQ_CONCURRENCY: "10" }), { registry });
    await q.addBulk(Array.from({ length: 10 }, () => ({ type: "capped" })));
    await q.addBulk(Array.from({ length: 8 }, () => ({ type: "sleep", payload: { ms: 300 } })));
    await sleep(150);
    expect((await q.counts()).byType.sleep?.processing).toBe(8);
    await eventually(async () => (await q.counts()).total.completed === 18, 5_000);
    expect(peak).toBe(2);
  });

  it("dead-letters an invalid payload at once, naming the field", async () => {
    const q = queue();
    await startTestWorker(testConfig(redisUrl, { RQ_QUEUES: q.name }));
    const { id } = await q.add({ type: "sleep", payload: { ms: "soon" }, maxAttempts: 5 });
    const job = await waitFor(async () => {
      const current = await q.getJobOrThrow(id);
      return current.state === "failed" ? current : null;
    });
    expect(job).toMatchObject({ attempts: 1, failureReason: "unrecoverable" });
    expect(job.lastError?.message).toMatch(/^invalid payload for job type "sleep": payload\.ms: /);
  });

  it("caps attempts by the handler's retry policy", async () => {
    const q = queue();
    const registry = new Map(await loadHandlers());
    const twice = defineHandler({
      type: "twice",
      payload: v.object({}),
      retry: { maxAttempts: 2 },
      handle() {
        throw new Error("still broken");
      },
    });
    registry.set("twice", { definition: twice, moduleUrl: import.meta.url });
    await startTestWorker(testConfig(redisUrl, { RQ_QUEUES: q.name }), { registry });
    const { id } = await q.add({ type: "twice", maxAttempts: 10, backoff: noBackoff });
    const job = await waitFor(async () => {
      const current = await q.getJobOrThrow(id);
      return current.state === "failed" ? current : null;
    });
    expect(job).toMatchObject({ attempts: 2, failureReason: "unrecoverable" });
    expect(job.lastError?.message).toBe("still broken");
  });

  it("caps attempts that time out too", async () => {
    const q = queue();
    const registry = new Map(await loadHandlers());
    const hangs = defineHandler({
      type: "hangs",
      payload: v.object({}),
      timeoutMs: 100,
      retry: { maxAttempts: 2 },
      handle: () => new Promise(() => {}),
    });
    registry.set("hangs", { definition: hangs, moduleUrl: import.meta.url });
    await startTestWorker(testConfig(redisUrl, { RQ_QUEUES: q.name }), { registry });
    const { id } = await q.add({ type: "hangs", maxAttempts: 10, backoff: noBackoff });
    const job = await waitFor(async () => {
      const current = await q.getJobOrThrow(id);
      return current.state === "failed" ? current : null;
    });
    expect(job.attempts).toBe(2);
    expect(job.errors.map((entry) => entry.reason)).toEqual(["timeout", "timeout"]);
  });

  it("runs thread-isolated handlers with their log, progress and parents' results relayed", async () => {
    const q = queue();
    const registry = new Map(await loadHandlers());
    const moduleUrl = new URL("./testing/thread-fixture.ts", import.meta.url).href;
    const fixture = (await import(moduleUrl)).default;
    registry.set("thread-fixture", { definition: fixture, moduleUrl });
    await startTestWorker(testConfig(redisUrl, { RQ_QUEUES: q.name }), { registry });
    const [parent, child] = await q.addBulk([
      { type: "echo", payload: { size: 3 }, ref: "parent" },
      { type: "thread-fixture", dependsOn: ["parent"] },
    ]);
    const id = child?.id ?? "";
    const job = await waitFor(async () => {
      const current = await q.getJobOrThrow(id);
      return current.state === "completed" ? current : null;
    }, 10_000);
    expect(job.result).toEqual({
      isMainThread: false,
      refused: "percent: must be a number from 0 to 100",
      parentIds: [parent?.id],
      parents: { [parent?.id ?? ""]: { size: 3 } },
    });
    expect(job.progress).toEqual({ percent: 50, detail: { step: "half" } });
    expect((await getJobLogs(redis(), id)).map((line) => line.message)).toEqual([
      "attempt 1 in a worker thread",
    ]);
  });
});
