/**
 * Regressions of the engine review (issue 9): each test reproduces a defect that
 * made jobs run twice, stall or miscount, on standalone and on Cluster.
 */
import { describe, expect, it, vi } from "vitest";
import { eventually, sleep, targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { startReplyDroppingProxy } from "../../test/reply-dropping-proxy.js";
import { ValidationError } from "../errors.js";
import { Queue } from "../queue/queue.js";
import { createQueueContext } from "../queue/queue-context.js";
import { createRedis } from "../redis/connection.js";
import { hasLoneSurrogate } from "../schemas/unicode.js";
import { scriptRunner } from "../scripts/load-scripts.js";
import { resolveSettings } from "../settings.js";
import { listWorkers, recordHeartbeat } from "../workers/worker-registry.js";
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

  /** Calls settle-and-take with outcome fields as given, past the consumer's encoder. */
  const settleRaw = (queue: Queue, outcomes: [string, string, string, string][]) =>
    createQueueContext(redis(), queue.name, resolveSettings()).run("settle-and-take", [
      "w1",
      30_000,
      0,
      "",
      outcomes.length,
      "raw-caller",
      1,
      "",
      ...outcomes.flat(),
    ]);

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
      // Sent raw, past the encoder: a lone surrogate escape, which cjson refuses.
      const [codes] = (await settleRaw(queue, [
        [a.seq, a.token, "c", ""],
        [b.seq, b.token, "f", '{"message":"\\ud83d"}'],
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
      await expect(
        settleRaw(queue, [
          [a.seq, a.token, "c", ""],
          [b.seq, b.token, "x", ""],
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
      expect(failed?.errors).toMatchObject([{ reason: "encoding-error" }]);
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
      const run = scriptRunner(redis());
      await expect(
        run("add-jobs", keys.scriptKeys, [
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
  describe("retention past protected parents", () => {
    const completeAll = async (consumer: Consumer, n: number) => {
      let left = n;
      while (left > 0) {
        const taken = await consumer.take(Math.min(left, 100));
        if (taken.length === 0) throw new Error("nothing to take");
        await consumer.settle(
          taken.map((lease) => ({ lease, kind: "completed" as const })),
          0,
        );
        left -= taken.length;
      }
    };

    it("by age trims the jobs behind more protected parents than one chunk, and the parents once freed", async () => {
      const { queue, consumer } = setup({ retention: { completedAgeMs: 1 } });
      const blocker = await queue.add({ type: "blocker" });
      const parents = await queue.addBulk(Array.from({ length: 250 }, () => ({ type: "p" })));
      // Each child waits on its parent (kept, protected) and on the blocker (still pending).
      await queue.addBulk(parents.map((parent) => ({ type: "c", dependsOn: [parent.id, blocker.id] })));
      const worker = consumer("w1", 30_000, ["p"]);
      await completeAll(worker, 250);
      await queue.addBulk(Array.from({ length: 50 }, () => ({ type: "p" })));
      await completeAll(worker, 50);
      await sleep(5);
      await queue.maintain();
      expect((await queue.counts()).byType.p?.completed).toBe(250);

      // The parents stay until their children have run (they read their results)...
      await completeAll(consumer("w2", 30_000, ["blocker"]), 1);
      await queue.maintain();
      expect((await queue.counts()).byType).toMatchObject({ p: { completed: 250 }, c: { pending: 250 } });
      // ...and are trimmed in turn once they have.
      await completeAll(consumer("w3", 30_000, ["c"]), 250);
      await eventually(async () => {
        await queue.maintain();
        return (await queue.counts()).byType.p?.completed === 0;
      });
    });

    it("by count keeps trimming past protected parents at the head", async () => {
      const { queue, consumer } = setup({ retention: { keepCompleted: 5 } });
      const blocker = await queue.add({ type: "blocker" });
      const parents = await queue.addBulk(Array.from({ length: 20 }, () => ({ type: "p" })));
      await queue.addBulk(parents.map((parent) => ({ type: "c", dependsOn: [parent.id, blocker.id] })));
      const worker = consumer("w1", 30_000, ["p"]);
      await completeAll(worker, 20);
      await queue.addBulk(Array.from({ length: 10 }, () => ({ type: "p" })));
      for (let i = 0; i < 10; i++) await completeAll(worker, 1);
      // Only the protected parents are left over the limit.
      expect((await queue.counts()).byType.p?.completed).toBe(20);
    });
  });

  it("a parent's result survives retention until the child that reads it has run", async () => {
    const { queue, consumer } = setup({ retention: { keepCompleted: 1, completedAgeMs: 1 } });
    const parent = await queue.add({ type: "p" });
    await queue.add({ type: "c", dependsOn: [parent.id] });
    const parents = consumer("w1", 30_000, ["p"]);
    const [lease] = await parents.take(1);
    if (!lease) throw new Error("setup");
    await parents.settle([{ lease, kind: "completed", result: { answer: 42 } }], 0);
    // More completions of its type and its age both put the parent past retention.
    await queue.addBulk([{ type: "p" }, { type: "p" }]);
    const more = await parents.take(2);
    await parents.settle(
      more.map((job) => ({ lease: job, kind: "completed" as const })),
      0,
    );
    await sleep(5);
    await queue.maintain();
    const children = consumer("w2", 30_000, ["c"]);
    const [taken] = await children.take(1);
    if (!taken) throw new Error("child not runnable");
    expect(await children.parentResults(taken)).toEqual({ [parent.id]: { answer: 42 } });
    expect((await children.settle([{ lease: taken, kind: "completed" }], 0)).rejected).toEqual([null]);
    await queue.maintain();
    expect(await queue.getJob(parent.id)).toBeNull();
  });

  it("a job whose payload in Redis is not JSON is dead-lettered, and the rest of its take runs", async () => {
    const { queue, consumer } = setup();
    const [broken, fine] = await queue.addBulk([{ type: "t" }, { type: "t", payload: { ok: true } }]);
    if (!broken || !fine) throw new Error("setup");
    await redis().hset(queue.context.keys.job(broken.id.split(":")[1] as string), "d", "{not json");
    const worker = consumer();
    const taken = await worker.take(2);
    expect(taken.map((job) => job.id)).toEqual([fine.id]);
    await worker.settle([{ lease: taken[0] as (typeof taken)[0], kind: "completed" }], 0);
    expect(await queue.getJobOrThrow(broken.id)).toMatchObject({
      state: "failed",
      errors: [{ reason: "invalid-payload" }],
    });
    expect((await queue.getJobOrThrow(fine.id)).state).toBe("completed");
  });

  // Leases come back as one flat array: a field missing from one job's hash must not
  // shift the fields of the jobs after it in the same take.
  it("a job hash missing fields the lease reads keeps the rest of its take's jobs intact", async () => {
    const { queue, consumer } = setup();
    const [stripped, fine] = await queue.addBulk([
      { type: "t", payload: { n: 1 } },
      { type: "t", payload: { n: 2 }, maxAttempts: 7, timeoutMs: 4_000 },
    ]);
    if (!stripped || !fine) throw new Error("setup");
    await redis().hdel(queue.context.keys.job(stripped.id.split(":")[1] as string), "ma", "c");
    const taken = await consumer().take(2);
    expect(taken.map((job) => job.id)).toEqual([stripped.id, fine.id]);
    expect(taken[0]).toMatchObject({ type: "t", payload: { n: 1 }, attempt: 1 });
    expect(taken[1]).toMatchObject({
      type: "t",
      payload: { n: 2 },
      attempt: 1,
      maxAttempts: 7,
      timeoutMs: 4_000,
      createdAt: Date.parse((await queue.getJobOrThrow(fine.id)).createdAt),
    });
  });

  it("a consumer of another type does not swallow the wake-up of a job it cannot run", async () => {
    const { queue, consumer } = setup();
    const other = consumer("a-worker", 30_000, ["a"]);
    const able = consumer("b-worker", 30_000, ["b"]);
    const otherWait = other.waitForWork(4_000);
    await sleep(50); // the other consumer blocks first, so Redis would serve it first
    const ableWait = able.waitForWork(4_000);
    await sleep(50);
    await queue.add({ type: "b" });
    const woken = await Promise.race([ableWait, sleep(2_000).then(() => "still asleep")]);
    expect(woken).toBe(true);
    expect(await Promise.race([otherWait, sleep(100).then(() => "still asleep")])).toBe("still asleep");
    await Promise.all([other.close(), able.close()]);
  });

  it("re-arms a large cascade in bounded chunks, and maintenance finishes one left half-way", async () => {
    const { queue, consumer } = setup();
    const parent = await queue.add({ type: "p", maxAttempts: 1 });
    for (let i = 0; i < 3; i++) {
      await queue.addBulk(Array.from({ length: 1_000 }, () => ({ type: "c", dependsOn: [parent.id] })));
    }
    const worker = consumer("w1", 30_000, ["p"]);
    const [lease] = await worker.take(1);
    if (!lease) throw new Error("setup");
    await worker.settle([{ lease, kind: "failed", error: new Error("boom"), unrecoverable: true }], 0);
    await eventually(async () => {
      await queue.maintain();
      return (await queue.counts()).byType.c?.failed === 3_000;
    });
    const context = createQueueContext(redis(), queue.name, resolveSettings());
    const [code, state, more] = (await context.run("retry-job", [lease.seq, "1"])) as [
      number,
      string,
      number,
    ];
    expect([code, state, more]).toEqual([1, "pending", 1]);
    // One call re-armed a bounded share of the 3,000 children, not all of them.
    const rearmed = (await queue.counts()).byType.c?.blocked ?? 0;
    expect(rearmed).toBeGreaterThan(0);
    expect(rearmed).toBeLessThan(600);
    await queue.maintain();
    expect((await queue.counts()).byType.c).toMatchObject({ blocked: 3_000, failed: 0 });
  });

  it("a released job keeps its waiting start for the oldest-pending gauge", async () => {
    const { queue, consumer } = setup();
    await queue.add({ type: "t" });
    await sleep(1_100);
    const worker = consumer();
    const taken = await worker.take(1);
    await worker.release(taken);
    const gauges = await queue.gauges();
    expect(gauges.counts.pending).toBe(1);
    expect(gauges.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(1);
  });

  describe("a host clock that disagrees with Redis", () => {
    it("does not make the loop spin while it waits for a scheduled job", async () => {
      const { queue } = setup();
      const consumer = new Consumer({ redis: redis(), queue: queue.name, workerId: "w1" });
      let calls = 0;
      const settle = consumer.settle.bind(consumer);
      consumer.settle = (...args) => {
        calls++;
        return settle(...args);
      };
      const realNow = Date.now.bind(Date);
      const skew = vi.spyOn(Date, "now").mockImplementation(() => realNow() + 65_000);
      try {
        const loop = new ConsumeLoop({
          consumer,
          handler: () => "ok",
          concurrency: 2,
          maintainEveryMs: 60_000,
        });
        loop.start();
        await queue.add({ type: "t", delayMs: 1_000 });
        await eventually(async () => (await queue.counts()).total.completed === 1, 10_000);
        await loop.stop();
      } finally {
        skew.mockRestore();
      }
      expect(calls).toBeLessThan(12);
    });

    it("does not make a worker whose clock is behind look stale", async () => {
      const workerId = `skewed-${uniqueQueue()}`;
      const realNow = Date.now.bind(Date);
      const skew = vi.spyOn(Date, "now").mockImplementation(() => realNow() - 20_000);
      try {
        await recordHeartbeat(redis(), {
          id: workerId,
          host: "h",
          pid: 1,
          taskArn: null,
          version: "test",
          startedAt: new Date().toISOString(),
          queues: ["q"],
          concurrency: 1,
          activeJobs: 0,
          processed: 0,
          failed: 0,
          memoryRssBytes: 0,
          eventLoopLagMs: 0,
          heartbeatMs: 1_000,
        });
      } finally {
        skew.mockRestore();
      }
      const entry = (await listWorkers(redis())).find((worker) => worker.id === workerId);
      expect(entry?.status).toBe("healthy");
    });
  });

  it("a dead-letter walk follows a score cursor, so jobs deleted meanwhile do not make it skip others", async () => {
    const { queue, consumer } = setup();
    const added = await queue.addBulk(Array.from({ length: 4 }, () => ({ type: "t", maxAttempts: 1 })));
    const worker = consumer();
    for (const lease of await worker.take(4)) {
      await worker.settle([{ lease, kind: "failed", error: new Error("x") }], 0);
    }
    const seqs = added.map((job) => job.id.split(":")[1] as string);
    const keys = queue.context.keys;
    const context = createQueueContext(redis(), queue.name, resolveSettings());
    // The oldest is a parent that blocked jobs wait on: the walk must skip it.
    await redis().sadd(`${keys.prefix}protected`, seqs[0] as string);
    const [purged, skipped, cursor] = (await context.run("purge-dead-letter", ["t", 2, ""])) as [
      number,
      number,
      string,
    ];
    expect([purged, skipped]).toEqual([1, 1]);
    // Meanwhile its protection ends and retention deletes it.
    await redis().srem(`${keys.prefix}protected`, seqs[0] as string);
    await redis().zrem(keys.index("failed", "t"), seqs[0] as string);
    await redis().del(keys.job(seqs[0] as string));
    const [more] = (await context.run("purge-dead-letter", ["t", 2, cursor])) as [number];
    expect(more).toBe(2);
    expect((await queue.counts()).total.failed).toBe(0);
  });
});

describe("a settle reply lost after Redis ran the call (standalone, through a proxy)", () => {
  const url = targets[0]?.[1] as string;

  it("hands the same leases back instead of leaving them to expire", async () => {
    const proxy = await startReplyDroppingProxy(url);
    const direct = createRedis(url);
    const viaProxy = createRedis(proxy.url);
    try {
      const queue = new Queue({ redis: direct, name: uniqueQueue("lost") });
      const added = await queue.addBulk(Array.from({ length: 5 }, () => ({ type: "t", maxAttempts: 1 })));
      const consumer = new Consumer({ redis: viaProxy, queue: queue.name, workerId: "w1" });
      await consumer.take(0); // loads the script, so the next reply is the take's own
      proxy.dropNextReply();
      // ioredis sends the call again on the new connection; Redis runs it twice.
      const taken = await consumer.take(3);
      expect(proxy.dropped()).toBe(1);
      expect(taken).toHaveLength(3);
      // Nothing leased that the caller does not know of.
      expect((await queue.counts()).total).toMatchObject({ processing: 3, pending: 2 });
      await consumer.settle(
        taken.map((lease) => ({ lease, kind: "completed" as const })),
        5,
      );
      const jobs = await Promise.all(added.map((job) => queue.getJobOrThrow(job.id)));
      expect(jobs.filter((job) => job.state === "completed").map((job) => job.attempts)).toEqual([1, 1, 1]);
    } finally {
      viaProxy.disconnect();
      direct.disconnect();
      await proxy.close();
    }
  });
});
