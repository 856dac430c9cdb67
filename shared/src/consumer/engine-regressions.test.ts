/**
 * Regressions of the engine review (issue 9): each test reproduces a defect that
 * made jobs run twice, stall or miscount, on standalone and on Cluster.
 */
import { describe, expect, it } from "vitest";
import { eventually, sleep, targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { ValidationError } from "../errors.js";
import { Queue } from "../queue/queue.js";
import { createQueueContext } from "../queue/queue-context.js";
import { hasLoneSurrogate } from "../schemas/unicode.js";
import { resolveSettings } from "../settings.js";
import { ConsumeLoop, JobAbortedError } from "./consume-loop.js";
import { Consumer } from "./consumer.js";
import type { Outcome } from "./leased-job.js";

describe.each(targets)("engine regressions (%s)", (_name, url) => {
  const redis = useRedis(url);
  const setup = (settings = {}) => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("reg"), settings });
    const consumer = (workerId = "w1", leaseMs = 30_000, types?: string[]) =>
      new Consumer({
        redis: redis(),
        queue: queue.name,
        workerId,
        leaseMs,
        settings,
        ...(types ? { types } : {}),
      });
    return { queue, consumer };
  };

  describe("an error report Redis cannot decode", () => {
    it("is cut by code point, and the rest of its batch is recorded with it", async () => {
      const { queue, consumer } = setup();
      const added = await queue.addBulk(Array.from({ length: 6 }, () => ({ type: "t", maxAttempts: 1 })));
      const worker = consumer();
      const taken = await worker.take(6);
      // An emoji straddles the 2,000-character cut: a plain slice leaves a lone surrogate.
      const message = `${"x".repeat(1_999)}😀 and more`;
      const outcomes: Outcome[] = taken.map((job, i) =>
        i < 5
          ? { lease: job, kind: "completed", result: i }
          : { lease: job, kind: "failed", error: new Error(message) },
      );
      const settled = await worker.settle(outcomes, 0);
      expect(settled.rejected).toEqual([null, null, null, null, null, null]);
      const jobs = await Promise.all(added.map((job) => queue.getJobOrThrow(job.id)));
      expect(jobs.map((job) => job.state)).toEqual([
        "completed",
        "completed",
        "completed",
        "completed",
        "completed",
        "failed",
      ]);
      const recorded = jobs[5]?.errors[0]?.message ?? "";
      expect(hasLoneSurrogate(recorded)).toBe(false);
      expect(recorded.startsWith("x".repeat(1_999))).toBe(true);
      // Nothing is left in processing for maintenance to mistake for an expired lease.
      expect((await queue.counts()).total.processing).toBe(0);
    });

    it("is recorded as a failed attempt with an encoding error, without breaking the script", async () => {
      const { queue, consumer } = setup();
      const [first, second] = await queue.addBulk([{ type: "t" }, { type: "t", maxAttempts: 1 }]);
      const [a, b] = await consumer().take(2);
      if (!a || !b || !first || !second) throw new Error("setup");
      const context = createQueueContext(redis(), queue.name, resolveSettings());
      // Sent raw, past the encoder: a lone surrogate escape, which cjson refuses.
      const [codes] = (await context.run("settle-and-take", [
        "w1",
        30_000,
        0,
        "",
        2,
        a.seq,
        a.token,
        "c",
        "",
        b.seq,
        b.token,
        "f",
        '{"message":"\\ud83d"}',
      ])) as [unknown[]];
      expect(codes).toEqual([1, "completed", 1, "failed"]);
      expect((await queue.getJobOrThrow(first.id)).state).toBe("completed");
      expect((await queue.getJobOrThrow(second.id)).errors).toMatchObject([
        { reason: "encoding-error", attempt: 1 },
      ]);
    });

    it("refuses malformed arguments before writing anything", async () => {
      const { queue, consumer } = setup();
      const [added] = await queue.addBulk([{ type: "t" }, { type: "t" }]);
      const [a, b] = await consumer().take(2);
      if (!a || !b || !added) throw new Error("setup");
      const context = createQueueContext(redis(), queue.name, resolveSettings());
      await expect(
        context.run("settle-and-take", [
          "w1",
          30_000,
          0,
          "",
          2,
          a.seq,
          a.token,
          "c",
          "",
          b.seq,
          b.token,
          "x",
          "",
        ]),
      ).rejects.toThrow(/rq-invalid-argument kind of outcome 1/);
      // The first, valid outcome was not half-applied.
      expect((await queue.getJobOrThrow(added.id)).state).toBe("processing");
    });

    it("maintenance repairs a processing entry of a finished job from its hash instead of re-running it", async () => {
      const { queue, consumer } = setup();
      const { id } = await queue.add({ type: "t" });
      const worker = consumer();
      const [job] = await worker.take(1);
      if (!job) throw new Error("setup");
      await worker.settle([{ lease: job, kind: "completed", result: "done" }], 0);
      // What a script failing half-way used to leave: the hash completed, the entry still processing.
      await redis().zadd(queue.context.keys.index("processing", "t"), 1, job.seq);
      await redis().zrem(queue.context.keys.index("completed", "t"), job.seq);
      await queue.maintain();
      expect(await worker.take(1)).toEqual([]);
      expect(await queue.getJobOrThrow(id)).toMatchObject({ state: "completed", attempts: 1, errors: [] });
      const counts = await queue.counts();
      expect(counts.total).toMatchObject({ processing: 0, completed: 1, pending: 0 });
    });

    it("does not hold back a loop's other outcomes when Redis refuses one", async () => {
      const { queue } = setup();
      const poisoned = await queue.add({ type: "t", maxAttempts: 1 });
      await queue.addBulk(Array.from({ length: 5 }, () => ({ type: "t" })));
      const consumer = new Consumer({ redis: redis(), queue: queue.name, workerId: "w1" });
      const settle = consumer.settle.bind(consumer);
      // The poisoned job's completion reaches Redis malformed, so the script refuses any batch holding it.
      consumer.settle = (outcomes, take, limits) =>
        settle(
          outcomes.map((outcome) =>
            outcome.kind === "completed" && outcome.lease.seq === poisoned.id.split(":")[1]
              ? { ...outcome, lease: { ...outcome.lease, seq: "not-a-seq" } }
              : outcome,
          ),
          take,
          limits,
        );
      const errors: unknown[] = [];
      const loop = new ConsumeLoop({
        consumer,
        handler: () => "ok",
        concurrency: 10,
        onError: (e) => errors.push(e),
      });
      loop.start();
      await eventually(async () => (await queue.counts()).total.completed === 5, 10_000);
      const failed = await eventually(async () => {
        const job = await queue.getJobOrThrow(poisoned.id);
        return job.state === "failed" ? job : null;
      }, 10_000);
      expect(failed.errors).toMatchObject([{ reason: "encoding-error" }]);
      expect(errors.length).toBeGreaterThan(0);
      await loop.stop();
    });
  });

  it("a job leased again to the same loop aborts its previous run and keeps its new lease", async () => {
    const { queue } = setup();
    const { id } = await queue.add({ type: "t" });
    const consumer = new Consumer({ redis: redis(), queue: queue.name, workerId: "w1", leaseMs: 600 });
    const signals: AbortSignal[] = [];
    let finishFirst: (() => void) | undefined;
    const loop = new ConsumeLoop({
      consumer,
      concurrency: 4,
      heartbeatMs: 150,
      maintainEveryMs: 50,
      handler: async (_job, ctx) => {
        signals.push(ctx.signal);
        if (signals.length === 1) {
          // A handler that ignores its signal and finishes late.
          await new Promise<void>((resolve) => {
            finishFirst = resolve;
          });
          return "first";
        }
        await sleep(1_500); // outlives the lease: only renewal keeps it
        return "second";
      },
    });
    loop.start();
    await eventually(() => signals.length === 1);
    await queue.cancel(id);
    await queue.retry(id);
    await eventually(() => signals.length === 2);
    finishFirst?.();
    const job = await eventually(async () => {
      const current = await queue.getJobOrThrow(id);
      return current.state === "completed" ? current : null;
    }, 10_000);
    expect(job).toMatchObject({ result: "second", attempts: 1, errors: [] });
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[0]?.reason).toBeInstanceOf(JobAbortedError);
    expect(signals[1]?.aborted).toBe(false);
    expect(signals).toHaveLength(2);
    await loop.stop();
  });

  it("a consumer that names a type twice counts and promotes its jobs once", async () => {
    const { queue, consumer } = setup();
    await queue.addBulk([{ type: "a" }, { type: "a" }, { type: "b" }, { type: "a", delayMs: 1 }]);
    await sleep(5);
    const worker = consumer("w1", 30_000, ["a", "a", "b"]);
    const taken = await worker.take(10);
    expect(taken).toHaveLength(4);
    expect(new Set(taken.map((job) => job.seq)).size).toBe(4);
    const gauges = await queue.gauges();
    expect(gauges.counts.pending).toBe(0);
    expect(gauges.backlog).toBe(0);
    expect((await queue.counts()).total).toMatchObject({ pending: 0, processing: 4, scheduled: 0 });
    expect(() => consumer("w2", 30_000, ["a", "Bad,Type"])).toThrow(ValidationError);
  });

  describe("queue settings", () => {
    it.each([
      [{ idempotencyWindowMs: 0 }, "settings.idempotencyWindowMs"],
      [{ eventsMaxLen: 100.5 }, "settings.eventsMaxLen"],
      [{ retention: { keepCompleted: -1 } }, "settings.retention.keepCompleted"],
      [{ defaultBackoff: { delayMs: Number.NaN } }, "settings.defaultBackoff.delayMs"],
      [{ unknownSetting: 1 }, "settings.unknownSetting"],
    ])("refuses %j naming the field, before anything reaches Redis", (settings, path) => {
      let caught: unknown;
      try {
        new Queue({ redis: redis(), name: uniqueQueue("bad"), settings: settings as object });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ValidationError);
      expect((caught as ValidationError).issues.map((issue) => issue.path)).toContain(path);
    });

    it("scripts refuse a malformed settings string before their first write", async () => {
      const { queue } = setup();
      const keys = queue.context.keys;
      const before = await redis().exists(keys.index("pending", "t"));
      // A settings string of the wrong shape (a caller other than encodeSettings).
      createQueueContext(redis(), queue.name, resolveSettings()); // registers the scripts
      const raw = redis() as unknown as Record<string, (k: string[], a: unknown[]) => Promise<unknown>>;
      const call = raw.rq_add_jobs;
      if (!call) throw new Error("script not registered");
      await expect(
        call.call(redis(), keys.scriptKeys, [
          keys.prefix,
          "1,2,3",
          0,
          1000,
          "",
          1,
          "t",
          "null",
          5,
          0,
          0,
          3,
          "",
          "",
          "",
          "",
          "",
        ]),
      ).rejects.toThrow(/rq-invalid-argument settings/);
      expect(await redis().exists(keys.index("pending", "t"))).toBe(before);
      expect((await queue.counts()).total.pending).toBe(0);
    });
  });
});
