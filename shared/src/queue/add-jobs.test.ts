import { describe, expect, it } from "vitest";
import { targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { Consumer } from "../consumer/consumer.js";
import { ValidationError } from "../errors.js";
import { LIMITS } from "../schemas/limits.js";
import { Queue } from "./queue.js";

describe.each(targets)("adding jobs (%s)", (_name, url) => {
  const redis = useRedis(url);
  const newQueue = (settings = {}) => new Queue({ redis: redis(), name: uniqueQueue("add"), settings });

  it("stores a job with its options and defaults, readable by id", async () => {
    const queue = newQueue();
    const { id, created } = await queue.add({
      type: "email.send",
      payload: { to: "a@example.com" },
      priority: 8,
      maxAttempts: 5,
      backoff: { strategy: "fixed", delayMs: 250 },
      timeoutMs: 1_000,
    });
    expect(created).toBe(true);
    expect(id).toMatch(new RegExp(`^${queue.name}:\\d+$`));
    const job = await queue.getJobOrThrow(id);
    expect(job).toMatchObject({
      id,
      queue: queue.name,
      type: "email.send",
      state: "pending",
      priority: 8,
      payload: { to: "a@example.com" },
      attempts: 0,
      maxAttempts: 5,
      backoff: { strategy: "fixed", delayMs: 250, jitter: false },
      timeoutMs: 1_000,
      progress: null,
      result: null,
      errors: [],
    });
    expect(Date.parse(job.createdAt)).toBeGreaterThan(Date.now() - 5_000);
    const plain = await queue.getJobOrThrow((await queue.add({ type: "noop" })).id);
    // Without its own backoff a job shows the queue's default: what its retries will follow.
    expect(plain).toMatchObject({
      priority: 5,
      maxAttempts: 3,
      payload: {},
      backoff: { strategy: "exponential", delayMs: 1_000, maxDelayMs: 3_600_000, jitter: true },
      timeoutMs: null,
    });
  });

  it("schedules delayed jobs and jobs with a run time", async () => {
    const queue = newQueue();
    const delayed = await queue.getJobOrThrow((await queue.add({ type: "noop", delayMs: 60_000 })).id);
    expect(delayed.state).toBe("scheduled");
    expect(Date.parse(delayed.runAt ?? "")).toBeGreaterThan(Date.now() + 50_000);
    const runAt = new Date(Date.now() + 3_600_000).toISOString();
    const atTime = await queue.getJobOrThrow((await queue.add({ type: "noop", runAt })).id);
    expect(atTime).toMatchObject({ state: "scheduled", runAt });
    const past = await queue.getJobOrThrow((await queue.add({ type: "noop", runAt: Date.now() - 1_000 })).id);
    expect(past.state).toBe("pending");
  });

  it.each([
    ["priority", { type: "noop", priority: 0 }],
    ["priority", { type: "noop", priority: 11 }],
    ["priority", { type: "noop", priority: 2.5 }],
    ["delayMs", { type: "noop", delayMs: -1 }],
    ["type", { type: "Bad Type!" }],
    ["type", { type: "" }],
    ["payload", { type: "noop", payload: { when: new Date() } }],
    ["payload", { type: "noop", payload: { n: Number.NaN } }],
    ["payload", { type: "noop", payload: { f: () => 1 } }],
    ["payload", { type: "noop", payload: { big: 1n } }],
    ["payload", { type: "noop", payload: { text: "cut 😀".slice(0, 5) } }],
    ["maxAttempts", { type: "noop", maxAttempts: 0 }],
    ["maxAttempts", { type: "noop", maxAttempts: 101 }],
    ["backoff.strategy", { type: "noop", backoff: { strategy: "linear", delayMs: 1 } }],
    ["runAt", { type: "noop", runAt: "yesterday" }],
    ["runAt", { type: "noop", delayMs: 5, runAt: Date.now() }],
    ["idempotencyKey", { type: "noop", idempotencyKey: "" }],
    ["idempotencyKey", { type: "noop", idempotencyKey: "\ud800" }],
    ["runAt", { type: "noop", runAt: 1e300 }],
    ["runAt", { type: "noop", runAt: "+275760-09-13T00:00:00.000Z" }],
    ["runAt", { type: "noop", runAt: Date.now() + 367 * 86_400_000 }],
    ["unexpected", { type: "noop", unexpected: true }],
  ])("rejects a bad %s with a typed error and writes nothing", async (path, input) => {
    const queue = newQueue();
    const error = await queue.add(input as never).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((issue) => issue.path)).toContain(path);
    expect((await queue.counts()).total.pending + (await queue.counts()).total.scheduled).toBe(0);
  });

  it("rejects an oversized payload, and honours a configured limit", async () => {
    const queue = newQueue();
    const big = "x".repeat(LIMITS.payloadBytes);
    const error = await queue.add({ type: "noop", payload: big }).catch((caught: unknown) => caught);
    expect((error as ValidationError).issues[0]).toMatchObject({ path: "payload" });
    const small = newQueue({ maxPayloadBytes: 16 });
    await expect(small.add({ type: "noop", payload: "0123456789abcdef" })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(small.add({ type: "noop", payload: "0123456789" })).resolves.toMatchObject({
      created: true,
    });
  });

  it("rejects a job for another queue", async () => {
    const queue = newQueue();
    await expect(queue.add({ type: "noop", queue: "elsewhere" })).rejects.toMatchObject({
      issues: [{ path: "queue" }],
    });
  });

  it("adds a batch atomically: one bad job means none is written", async () => {
    const queue = newQueue();
    const error = await queue
      .addBulk([{ type: "noop" }, { type: "noop", priority: 99 }])
      .catch((caught: unknown) => caught);
    expect((error as ValidationError).issues[0]).toMatchObject({ path: "jobs.1.priority" });
    expect((await queue.counts()).total.pending).toBe(0);
    const added = await queue.addBulk(
      Array.from({ length: 1_000 }, (_, i) => ({ type: "noop", payload: { i } })),
    );
    expect(new Set(added.map((job) => job.id)).size).toBe(1_000);
    expect((await queue.counts()).total.pending).toBe(1_000);
    await expect(
      queue.addBulk(Array.from({ length: 1_001 }, () => ({ type: "noop" }))),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it("returns the existing job for a repeated idempotency key, also under concurrency", async () => {
    const queue = newQueue();
    const first = await queue.add({ type: "noop", payload: { a: 1, b: [2] }, idempotencyKey: "order-1" });
    // The same body (keys in another order are the same body) returns the original job.
    const again = await queue.add({ type: "noop", payload: { b: [2], a: 1 }, idempotencyKey: "order-1" });
    expect(again).toEqual({ id: first.id, created: false });
    const racing = await Promise.all(
      Array.from({ length: 20 }, () => queue.add({ type: "noop", idempotencyKey: "order-2" })),
    );
    expect(new Set(racing.map((job) => job.id)).size).toBe(1);
    expect(racing.filter((job) => job.created)).toHaveLength(1);
    const inOneBatch = await queue.addBulk([
      { type: "noop", idempotencyKey: "order-3" },
      { type: "noop", idempotencyKey: "order-3" },
    ]);
    expect(inOneBatch[1]).toEqual({ id: inOneBatch[0]?.id, created: false });
    expect((await queue.counts()).total.pending).toBe(3);
  });

  it("does not dedupe once the idempotency window has passed", async () => {
    const queue = newQueue({ idempotencyWindowMs: 50 });
    const first = await queue.add({ type: "noop", idempotencyKey: "k" });
    await new Promise((resolve) => setTimeout(resolve, 80));
    const second = await queue.add({ type: "noop", idempotencyKey: "k" });
    expect(second.created).toBe(true);
    expect(second.id).not.toBe(first.id);
  });

  it("stores no field for the default priority, and reads a hash from before that the same way", async () => {
    const queue = newQueue();
    const [plain, urgent, older] = await queue.addBulk([
      { type: "noop" },
      { type: "noop", priority: 9 },
      { type: "noop" },
    ]);
    const seqOf = (id = "") => id.slice(queue.name.length + 1);
    expect(await redis().hget(queue.context.keys.job(seqOf(plain?.id)), "p")).toBeNull();
    expect(await redis().hget(queue.context.keys.job(seqOf(urgent?.id)), "p")).toBe("9");
    // Older versions wrote every job's priority.
    await redis().hset(queue.context.keys.job(seqOf(older?.id)), "p", "5");
    expect((await queue.getJobOrThrow(plain?.id ?? "")).priority).toBe(5);
    expect((await queue.getJobOrThrow(older?.id ?? "")).priority).toBe(5);
    const consumer = new Consumer({ redis: redis(), queue: queue.name, workerId: "w-default-priority" });
    expect((await consumer.take(3)).map((job) => job.id)).toEqual([urgent?.id, plain?.id, older?.id]);
  });

  it("answers null for an unknown job and a typed error for a malformed id", async () => {
    const queue = newQueue();
    expect(await queue.getJob(`${queue.name}:999999`)).toBeNull();
    await expect(queue.getJob("not-an-id")).rejects.toBeInstanceOf(ValidationError);
  });
});

describe.each(targets)("submitting jobs (%s)", (_name, url) => {
  const redis = useRedis(url);

  it("returns the stored jobs from the add itself, with in-batch dependents and replays", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("submit") });
    const [parent, child] = await queue.submitBulk([
      { type: "a", ref: "a", payload: { n: 1 } },
      { type: "b", dependsOn: ["a"], idempotencyKey: "k" },
    ]);
    expect(parent?.created).toBe(true);
    expect(parent?.job).toEqual(await queue.getJob(parent?.job.id ?? ""));
    expect(parent?.job.dependents).toEqual([child?.job.id]);
    expect(child?.job).toMatchObject({ state: "blocked", dependsOn: [parent?.job.id] });
    const [, replay] = await queue.submitBulk([
      { type: "a", ref: "a", payload: { n: 1 } },
      { type: "b", dependsOn: ["a"], idempotencyKey: "k" },
    ]);
    expect(replay).toEqual({ created: false, job: await queue.getJob(child?.job.id ?? "") });
  });
});
