import { describe, expect, it } from "vitest";
import { eventually, sleep, targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { Queue } from "../queue/queue.js";
import { ConsumeLoop, JobAbortedError, type JobHandler, type ConsumeLoop as Loop } from "./consume-loop.js";
import { Consumer } from "./consumer.js";

describe.each(targets)("consume loop (%s)", (_name, url) => {
  const redis = useRedis(url);
  const loops: Loop[] = [];
  const setup = (
    handler: JobHandler,
    options: { concurrency?: number; leaseMs?: number; settings?: object } = {},
  ) => {
    const settings = options.settings ?? {};
    const queue = new Queue({ redis: redis(), name: uniqueQueue("loop"), settings });
    const consumer = new Consumer({
      redis: redis(),
      queue: queue.name,
      workerId: `w-${loops.length}`,
      leaseMs: options.leaseMs ?? 30_000,
      settings,
    });
    const loop = new ConsumeLoop({
      consumer,
      handler,
      concurrency: options.concurrency ?? 10,
      maintainEveryMs: 100,
    });
    loops.push(loop);
    return { queue, loop };
  };
  const done = async (queue: Queue, n: number, state: "completed" | "failed" = "completed") =>
    eventually(async () => (await queue.counts()).total[state] === n, 10_000);

  it("runs every job with at most `concurrency` at once", async () => {
    let running = 0;
    let peak = 0;
    const { queue, loop } = setup(
      async (job) => {
        running++;
        peak = Math.max(peak, running);
        await sleep(5);
        running--;
        return { echoed: job.payload };
      },
      { concurrency: 7 },
    );
    const added = await queue.addBulk(Array.from({ length: 100 }, (_, i) => ({ type: "echo", payload: i })));
    loop.start();
    await done(queue, 100);
    expect(peak).toBeLessThanOrEqual(7);
    expect(peak).toBeGreaterThan(1);
    expect(await queue.getJobOrThrow(added[42]?.id ?? "")).toMatchObject({ result: { echoed: 42 } });
    await loop.stop();
  });

  it("starts a delayed job on time, woken by its due time rather than a poll", async () => {
    const startedAt: number[] = [];
    const { queue, loop } = setup(() => {
      startedAt.push(Date.now());
    });
    loop.start();
    await sleep(50);
    const addedAt = Date.now();
    await queue.add({ type: "noop", delayMs: 400 });
    await done(queue, 1);
    const lateness = (startedAt[0] as number) - addedAt;
    expect(lateness).toBeGreaterThanOrEqual(395);
    expect(lateness).toBeLessThan(400 + 300);
    await loop.stop();
  });

  it("renews leases of jobs that outlive the lease", async () => {
    const { queue, loop } = setup(() => sleep(700), { leaseMs: 200 });
    const { id } = await queue.add({ type: "slow" });
    loop.start();
    await done(queue, 1);
    expect(await queue.getJobOrThrow(id)).toMatchObject({ attempts: 1, errors: [] });
    await loop.stop();
  });

  it("aborts a running job when it is canceled, and discards its result", async () => {
    let reason: unknown;
    const { queue, loop } = setup(
      (_job, ctx) =>
        new Promise((resolve) => {
          ctx.signal.addEventListener("abort", () => {
            reason = ctx.signal.reason;
            resolve("finished anyway");
          });
        }),
      { leaseMs: 150 },
    );
    const { id } = await queue.add({ type: "wait" });
    loop.start();
    await eventually(async () => (await queue.getJobOrThrow(id)).state === "processing");
    await queue.cancel(id);
    await eventually(() => reason !== undefined, 2_000);
    expect(reason).toBeInstanceOf(JobAbortedError);
    expect((reason as JobAbortedError).reason).toBe("canceled");
    await sleep(100);
    expect(await queue.getJobOrThrow(id)).toMatchObject({ state: "canceled", result: null });
    await loop.stop();
  });

  it("fails an attempt that exceeds its timeout even if the handler ignores the signal", async () => {
    let signal: AbortSignal | undefined;
    const { queue, loop } = setup((_job, ctx) => {
      signal = ctx.signal;
      return new Promise(() => {});
    });
    const { id } = await queue.add({
      type: "stuck",
      timeoutMs: 100,
      maxAttempts: 2,
      backoff: { strategy: "fixed", delayMs: 0 },
    });
    loop.start();
    await done(queue, 1, "failed");
    const job = await queue.getJobOrThrow(id);
    expect(job.errors.map((entry) => [entry.attempt, entry.reason])).toEqual([
      [1, "timeout"],
      [2, "timeout"],
    ]);
    expect(job.lastError?.message).toMatch(/timed out after 100 ms/);
    expect(signal?.aborted).toBe(true);
    expect(loop.activeCount).toBe(0);
    await loop.stop();
  });

  it("times out each job at its own deadline, an earlier one while a later one runs on", async () => {
    const signals = new Map<string, AbortSignal>();
    const { queue, loop } = setup((job, ctx) => {
      signals.set(job.id, ctx.signal);
      return new Promise(() => {});
    });
    // The long job starts first, so the loop's one timer is armed for its deadline first.
    const long = await queue.add({ type: "stuck", timeoutMs: 20_000, maxAttempts: 1 });
    loop.start();
    await eventually(() => signals.has(long.id));
    const short = await queue.add({ type: "stuck", timeoutMs: 100, maxAttempts: 1 });
    await done(queue, 1, "failed");
    expect(await queue.getJobOrThrow(short.id)).toMatchObject({ state: "failed" });
    expect((await queue.getJobOrThrow(short.id)).lastError?.message).toMatch(/timed out after 100 ms/);
    expect(signals.get(short.id)?.reason).toMatchObject({ reason: "timeout" });
    expect(signals.get(long.id)?.aborted).toBe(false);
    expect(await queue.getJobOrThrow(long.id)).toMatchObject({ state: "processing" });
    await loop.stop();
  });

  it("gives a handler that reads its context late, or destructured, the same signal and calls", async () => {
    const seen: { aborted: boolean; reason: unknown }[] = [];
    let release: () => void = () => {};
    const late = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { queue, loop } = setup(async (_job, ctx) => {
      const { progress, attempt } = ctx;
      await progress(50, { attempt });
      await late;
      // Read only after the timeout aborted the run: already aborted, with the reason.
      seen.push({ aborted: ctx.signal.aborted, reason: ctx.signal.reason });
    });
    const { id } = await queue.add({ type: "late", timeoutMs: 100, maxAttempts: 1 });
    loop.start();
    await eventually(async () => (await queue.getJobOrThrow(id)).progress?.percent === 50);
    expect((await queue.getJobOrThrow(id)).progress).toMatchObject({ detail: { attempt: 1 } });
    await done(queue, 1, "failed");
    release();
    await eventually(() => seen.length === 1);
    expect(seen[0]).toMatchObject({ aborted: true, reason: { reason: "timeout" } });
    expect(seen[0]?.reason).toBeInstanceOf(JobAbortedError);
    await loop.stop();
  });

  it("fails an attempt when the handler throws synchronously", async () => {
    const { queue, loop } = setup(() => {
      throw new Error("sync boom");
    });
    const { id } = await queue.add({ type: "x", maxAttempts: 1 });
    loop.start();
    await done(queue, 1, "failed");
    expect((await queue.getJobOrThrow(id)).lastError?.message).toBe("sync boom");
    await loop.stop();
  });

  it("drains on stop, then hands unfinished jobs back without counting the attempt", async () => {
    const { queue, loop } = setup(async (job) => sleep((job.payload as { ms: number }).ms), {
      concurrency: 4,
    });
    const quick = await queue.add({ type: "sleep", payload: { ms: 20 } });
    const slow = await queue.add({ type: "sleep", payload: { ms: 5_000 } });
    loop.start();
    await eventually(async () => (await queue.getJobOrThrow(slow.id)).state === "processing");
    const released = await loop.stop(300);
    expect(released).toBe(1);
    expect(await queue.getJobOrThrow(quick.id)).toMatchObject({ state: "completed" });
    expect(await queue.getJobOrThrow(slow.id)).toMatchObject({ state: "pending", attempts: 0 });
  });

  it("hands back jobs that a settle in flight took after stop began, without starting them", async () => {
    let started = 0;
    const { queue, loop } = setup(() => {
      started++;
    });
    const consumer = (loop as unknown as { options: { consumer: Consumer } }).options.consumer;
    await queue.addBulk(Array.from({ length: 5 }, () => ({ type: "noop" })));
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let calls = 0;
    const settle = consumer.settle.bind(consumer);
    consumer.settle = async (...args: Parameters<Consumer["settle"]>) => {
      calls++;
      const result = await settle(...args);
      await gate; // the reply is still on its way when stop() begins
      return result;
    };
    loop.start();
    await eventually(() => calls > 0);
    const stopping = loop.stop(1_000);
    open();
    await stopping;
    expect(started).toBe(0);
    const counts = (await queue.counts()).total;
    expect(counts).toMatchObject({ pending: 5, processing: 0 });
    const jobs = (await queue.list({ state: "pending" })).items;
    expect(jobs.every((job) => job.attempts === 0)).toBe(true);
  });

  it("lets two loops share a queue without ever running a job twice", async () => {
    const runs = new Map<string, number>();
    const handler: JobHandler = async (job) => {
      runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
      await sleep(1);
    };
    const first = setup(handler, { concurrency: 20 });
    const added = await first.queue.addBulk(Array.from({ length: 500 }, () => ({ type: "noop" })));
    const consumer = new Consumer({ redis: redis(), queue: first.queue.name, workerId: "second" });
    const second = new ConsumeLoop({ consumer, handler, concurrency: 20 });
    first.loop.start();
    second.start();
    await done(first.queue, 500);
    expect(runs.size).toBe(500);
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
    expect(added.every((job) => runs.has(job.id))).toBe(true);
    await Promise.all([first.loop.stop(), second.stop()]);
  });
});
