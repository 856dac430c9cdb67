import { describe, expect, it } from "vitest";
import { sleep, targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { Queue } from "../queue/queue.js";
import { masterNodes } from "../redis/master-nodes.js";
import { Consumer } from "./consumer.js";
import { UnrecoverableError } from "./leased-job.js";

describe.each(targets)("consumer (%s)", (_name, url) => {
  const redis = useRedis(url);
  const setup = (settings = {}, leaseMs = 30_000) => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("cons"), settings });
    const consumer = (workerId: string, options: { leaseMs?: number; types?: string[] } = {}) =>
      new Consumer({ redis: redis(), queue: queue.name, workerId, leaseMs, settings, ...options });
    return { queue, consumer };
  };

  it("takes by priority (10 first) and FIFO within a priority, across concurrent producers", async () => {
    const { queue, consumer } = setup();
    const producers = Array.from({ length: 4 }, (_, p) =>
      (async () => {
        for (let i = 0; i < 50; i++) {
          await queue.add({ type: i % 2 ? "a" : "b", priority: 1 + ((i * 7 + p) % 10), payload: { p, i } });
        }
      })(),
    );
    await Promise.all(producers);
    const worker = consumer("w1");
    const taken = [];
    for (;;) {
      const batch = await worker.take(37);
      if (batch.length === 0) break;
      taken.push(...batch);
    }
    expect(taken).toHaveLength(200);
    const priorities = await Promise.all(
      taken.map(async (job) => (await queue.getJobOrThrow(job.id)).priority),
    );
    for (let i = 1; i < taken.length; i++) {
      const [before, after] = [priorities[i - 1] as number, priorities[i] as number];
      expect(before).toBeGreaterThanOrEqual(after);
      // Same priority: creation order, which is the id sequence.
      if (before === after) expect(Number(taken[i - 1]?.seq)).toBeLessThan(Number(taken[i]?.seq));
    }
  });

  it("takes only the types it was asked for", async () => {
    const { queue, consumer } = setup();
    await queue.addBulk([{ type: "image" }, { type: "email" }, { type: "image" }]);
    const taken = await consumer("w1", { types: ["email", "unknown"] }).take(10);
    expect(taken.map((job) => job.type)).toEqual(["email"]);
  });

  it("completes with a result and records the timeline", async () => {
    const { queue, consumer } = setup();
    const { id } = await queue.add({ type: "noop", payload: { n: 1 } });
    const worker = consumer("w1");
    const [job] = await worker.take(1);
    expect(job).toMatchObject({ id, attempt: 1, payload: { n: 1 }, maxAttempts: 3 });
    if (!job) throw new Error("no job");
    expect((await queue.getJobOrThrow(id)).state).toBe("processing");
    const settled = await worker.settle([{ lease: job, kind: "completed", result: { doubled: 2 } }], 0);
    expect(settled.rejected).toEqual([null]);
    const done = await queue.getJobOrThrow(id);
    expect(done).toMatchObject({ state: "completed", result: { doubled: 2 }, attempts: 1, workerId: "w1" });
    expect(Date.parse(done.finishedAt ?? "")).toBeGreaterThanOrEqual(Date.parse(done.startedAt ?? ""));
  });

  it("retries with backoff, then dead-letters with the attempt history", async () => {
    const { queue, consumer } = setup();
    const { id } = await queue.add({
      type: "flaky",
      maxAttempts: 3,
      backoff: { strategy: "exponential", delayMs: 40, jitter: false },
    });
    const worker = consumer("w1");
    const startedAt: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      let job = (await worker.take(1))[0];
      while (!job) {
        await sleep(5);
        job = (await worker.take(1))[0];
      }
      startedAt.push(Date.now());
      expect(job.attempt).toBe(attempt);
      const { rejected } = await worker.settle(
        [{ lease: job, kind: "failed", error: new Error(`boom ${attempt}`) }],
        0,
      );
      expect(rejected).toEqual([null]);
      const state = (await queue.getJobOrThrow(id)).state;
      expect(state).toBe(attempt < 3 ? "scheduled" : "failed");
    }
    // 40 ms then 80 ms (exponential, no jitter).
    expect((startedAt[1] as number) - (startedAt[0] as number)).toBeGreaterThanOrEqual(35);
    expect((startedAt[2] as number) - (startedAt[1] as number)).toBeGreaterThanOrEqual(75);
    const dead = await queue.getJobOrThrow(id);
    expect(dead).toMatchObject({ state: "failed", attempts: 3, failureReason: "error" });
    expect(dead.errors.map((entry) => [entry.attempt, entry.message, entry.workerId])).toEqual([
      [1, "boom 1", "w1"],
      [2, "boom 2", "w1"],
      [3, "boom 3", "w1"],
    ]);
    expect(dead.lastError?.stack).toContain("boom 3");
    expect((await queue.counts()).total.failed).toBe(1);
  });

  it("dead-letters an unrecoverable error at once", async () => {
    const { queue, consumer } = setup();
    const { id } = await queue.add({ type: "noop", maxAttempts: 5 });
    const worker = consumer("w1");
    const [job] = await worker.take(1);
    if (!job) throw new Error("no job");
    await worker.settle([{ lease: job, kind: "failed", error: new UnrecoverableError("bad input") }], 0);
    expect(await queue.getJobOrThrow(id)).toMatchObject({
      state: "failed",
      attempts: 1,
      failureReason: "unrecoverable",
    });
  });

  it("fails an attempt whose result is too large or not JSON, unrecoverably", async () => {
    const { queue, consumer } = setup();
    await queue.addBulk([{ type: "noop" }, { type: "noop" }]);
    const worker = consumer("w1");
    const [big, odd] = await worker.take(2);
    if (!big || !odd) throw new Error("no jobs");
    await worker.settle(
      [
        { lease: big, kind: "completed", result: "x".repeat(600 * 1024) },
        { lease: odd, kind: "completed", result: { at: new Date() } },
      ],
      0,
    );
    expect((await queue.getJobOrThrow(big.id)).lastError?.message).toMatch(/bytes, more than the limit/);
    expect((await queue.getJobOrThrow(odd.id)).lastError?.message).toMatch(/not JSON/);
  });

  it("recovers an expired lease as a failed attempt, and fences the stale holder", async () => {
    const { queue, consumer } = setup({ defaultBackoff: { delayMs: 0, jitter: false } }, 150);
    const { id } = await queue.add({ type: "noop", payload: {} });
    const dead = consumer("dead-worker");
    const [stale] = await dead.take(1);
    if (!stale) throw new Error("no job");
    await sleep(200);
    const maintenance = await queue.maintain();
    expect(maintenance.recovered).toBe(1);
    const recovered = await queue.getJobOrThrow(id);
    expect(recovered).toMatchObject({ state: "pending", attempts: 1 });
    expect(recovered.lastError).toMatchObject({
      reason: "lease-expired",
      workerId: "dead-worker",
      attempt: 1,
    });

    const alive = consumer("alive-worker", { leaseMs: 30_000 });
    const [fresh] = await alive.take(1);
    expect(fresh).toMatchObject({ id, attempt: 2 });
    if (!fresh) throw new Error("no job");
    expect(fresh.token).not.toBe(stale.token);

    // The stale worker wakes up and tries everything: nothing changes.
    const late = await dead.settle([{ lease: stale, kind: "completed", result: "stale" }], 0);
    expect(late.rejected).toEqual([{ ok: false, state: "processing" }]);
    expect(await dead.extendLeases([stale])).toEqual([{ ok: false, state: "processing" }]);
    expect(await dead.progress(stale, 50)).toEqual({ ok: false, state: "processing" });
    expect(await dead.release([stale])).toEqual([{ ok: false, state: "processing" }]);
    expect(await queue.getJobOrThrow(id)).toMatchObject({
      state: "processing",
      workerId: "alive-worker",
      progress: null,
    });

    await alive.settle([{ lease: fresh, kind: "completed", result: "fresh" }], 0);
    expect(await queue.getJobOrThrow(id)).toMatchObject({ state: "completed", result: "fresh" });
  });

  it("dead-letters a job whose lease expires on its last attempt", async () => {
    const { queue, consumer } = setup({}, 50);
    const { id } = await queue.add({ type: "noop", maxAttempts: 1 });
    await consumer("w1").take(1);
    await sleep(80);
    await queue.maintain();
    expect(await queue.getJobOrThrow(id)).toMatchObject({ state: "failed", failureReason: "lease-expired" });
  });

  it("keeps leases alive with batched renewal", async () => {
    const { queue, consumer } = setup({}, 150);
    await queue.addBulk([{ type: "noop" }, { type: "noop" }]);
    const worker = consumer("w1");
    const jobs = await worker.take(2);
    for (let i = 0; i < 4; i++) {
      await sleep(75);
      expect(await worker.extendLeases(jobs)).toEqual([{ ok: true }, { ok: true }]);
    }
    expect((await queue.maintain()).recovered).toBe(0);
    expect((await queue.counts()).total.processing).toBe(2);
  });

  it("records progress with an optional detail, fenced by the token", async () => {
    const { queue, consumer } = setup();
    const { id } = await queue.add({ type: "noop" });
    const worker = consumer("w1");
    const [job] = await worker.take(1);
    if (!job) throw new Error("no job");
    expect(await worker.progress(job, 40, { step: "resize" })).toEqual({ ok: true });
    expect((await queue.getJobOrThrow(id)).progress).toEqual({ percent: 40, detail: { step: "resize" } });
    await worker.progress(job, 60);
    expect((await queue.getJobOrThrow(id)).progress).toEqual({ percent: 60 });
    await expect(worker.progress(job, 101)).rejects.toMatchObject({ code: "validation_failed" });
    await expect(worker.progress(job, 5, "x".repeat(5_000))).rejects.toMatchObject({
      code: "validation_failed",
    });
  });

  it("hands jobs back on release without counting the attempt, ahead of newer jobs", async () => {
    const { queue, consumer } = setup();
    const first = await queue.add({ type: "noop" });
    const worker = consumer("w1");
    const [job] = await worker.take(1);
    if (!job) throw new Error("no job");
    await queue.add({ type: "noop" });
    expect(await worker.release([job])).toEqual([{ ok: true }]);
    expect(await queue.getJobOrThrow(first.id)).toMatchObject({ state: "pending", attempts: 0 });
    const [next] = await worker.take(1);
    expect(next).toMatchObject({ id: first.id, attempt: 1 });
  });

  it("does not take while paused, and wakes waiting consumers on resume", async () => {
    const { queue, consumer } = setup();
    await queue.add({ type: "noop" });
    await queue.pause();
    const worker = consumer("w1");
    expect(await worker.take(1)).toEqual([]);
    expect(await queue.isPaused()).toBe(true);
    const woken = worker.waitForWork(5_000);
    await sleep(50);
    await queue.resume();
    expect(await woken).toBe(true);
    expect(await worker.take(1)).toHaveLength(1);
    await worker.close();
  });

  it("wakes a blocked consumer when a job is added, without polling", async () => {
    const { queue, consumer } = setup();
    const worker = consumer("w1");
    const startedAt = Date.now();
    const woken = worker.waitForWork(5_000);
    await sleep(100);
    await queue.add({ type: "noop" });
    expect(await woken).toBe(true);
    expect(Date.now() - startedAt).toBeLessThan(2_000);
    await worker.close();
  });

  it("loads its functions again after Redis forgets them (a restart without persistence)", async () => {
    const { queue, consumer } = setup();
    await queue.add({ type: "noop" });
    await Promise.all(masterNodes(redis()).map((node) => node.call("FUNCTION", "FLUSH")));
    // Calls at once that all find their function missing: each loads it or waits for the load.
    const [taken, ...added] = await Promise.all([
      consumer("w1").take(1),
      ...Array.from({ length: 5 }, () => queue.add({ type: "noop" })),
    ]);
    expect(taken).toHaveLength(1);
    for (const job of added) expect(job.created).toBe(true);
    expect((await queue.counts()).total.pending).toBe(5);
  });
});
