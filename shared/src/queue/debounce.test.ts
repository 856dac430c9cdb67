/**
 * Debounce and throttle by key at their edges, on standalone and Cluster: within the
 * window a debounce replaces the waiting job (payload, run time, expiry) and a
 * throttle drops the submission; after the window, or once the job started, a new job
 * is created. Windows end when Redis expires the key: the tests wait for that state.
 */
import { describe, expect, it } from "vitest";
import { eventually, targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { brokenInvariants, snapshotQueue } from "../../test/queue-invariants.js";
import { Consumer } from "../consumer/consumer.js";
import { ValidationError } from "../errors.js";
import { decodeQueueEvent } from "../queue-events.js";
import type { JobInput } from "../schemas/job-input.js";
import { LIMITS } from "../schemas/limits.js";
import { IdempotencyConflictError } from "./idempotency.js";
import { Queue } from "./queue.js";

const seqOf = (id: string) => id.slice(id.lastIndexOf(":") + 1);

describe.each(targets)("debounce and throttle (%s)", (_name, url) => {
  const redis = useRedis(url);
  const setup = () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("deb") });
    const worker = new Consumer({ redis: redis(), queue: queue.name, workerId: "w1" });
    return { queue, worker };
  };
  const expectConsistent = async (queue: Queue) =>
    expect(brokenInvariants(await snapshotQueue(redis(), queue.name))).toEqual([]);
  /** Resolves once the window of a key is over (Redis expired its record). */
  const windowOver = (queue: Queue, type: string, key: string) =>
    eventually(async () => (await redis().exists(queue.context.keys.debounce(type, key))) === 0, 10_000, 5);
  const debounced = (key: string, windowMs = 60_000, mode?: "debounce" | "throttle") => ({
    key,
    windowMs,
    ...(mode ? { mode } : {}),
  });

  it("debounce within the window replaces the waiting job's payload and run time; the answer says replaced", async () => {
    const { queue } = setup();
    const first = await queue.add({
      type: "sync",
      payload: { v: 1 },
      delayMs: 60_000,
      debounce: debounced("u1"),
    });
    expect(first).toEqual({ id: first.id, created: true });
    const before = await queue.getJobOrThrow(first.id);
    const second = await queue.submit({
      type: "sync",
      payload: { v: 2 },
      delayMs: 120_000,
      debounce: debounced("u1"),
    });
    expect(second).toMatchObject({
      created: false,
      debounced: "replaced",
      job: { id: first.id, payload: { v: 2 } },
    });
    // The run time restarts from the latest submission.
    expect(Date.parse(second.job.runAt as string)).toBeGreaterThan(
      Date.parse(before.runAt as string) + 50_000,
    );
    expect((await queue.counts()).total).toMatchObject({ scheduled: 1, pending: 0 });
    const entries = await redis().xrange(queue.context.keys.events, "-", "+");
    expect(entries.map(([, fields]) => decodeQueueEvent(fields))).toContainEqual({
      event: "scheduled",
      seqs: [seqOf(first.id)],
      detail: { reason: "debounced", runAt: String(Date.parse(second.job.runAt as string)) },
    });
    await expectConsistent(queue);
  });

  it("debounce moves a job between pending and scheduled as the latest run time says, keeping one job", async () => {
    const { queue, worker } = setup();
    const first = await queue.add({ type: "sync", payload: 1, debounce: debounced("k") });
    const later = await queue.submit({ type: "sync", payload: 2, delayMs: 60_000, debounce: debounced("k") });
    expect(later).toMatchObject({ debounced: "replaced", job: { id: first.id, state: "scheduled" } });
    await expectConsistent(queue);
    const now = await queue.submit({ type: "sync", payload: 3, debounce: debounced("k") });
    expect(now).toMatchObject({ debounced: "replaced", job: { id: first.id, state: "pending", payload: 3 } });
    await expectConsistent(queue);
    const leases = await worker.take(5);
    expect(leases.map((lease) => [lease.id, lease.payload])).toEqual([[first.id, 3]]);
  });

  it("debounce replaces the expiry too: a later submission without one leaves the job without", async () => {
    const { queue } = setup();
    const first = await queue.add({ type: "sync", expireAfterMs: 60_000, debounce: debounced("e") });
    expect(await redis().zscore(queue.context.keys.expiring, seqOf(first.id))).not.toBeNull();
    const second = await queue.submit({ type: "sync", debounce: debounced("e") });
    expect(second.job.expiresAt).toBeNull();
    expect(await redis().zcard(queue.context.keys.expiring)).toBe(0);
    const third = await queue.submit({ type: "sync", expireAfterMs: 90_000, debounce: debounced("e") });
    expect(third.job.expiresAt).not.toBeNull();
    await expectConsistent(queue);
  });

  it("after the window a debounce key makes a new job", async () => {
    const { queue } = setup();
    const first = await queue.add({ type: "sync", payload: 1, debounce: debounced("w", 80) });
    await windowOver(queue, "sync", "w");
    const second = await queue.add({ type: "sync", payload: 2, debounce: debounced("w", 80) });
    expect(second.created).toBe(true);
    expect(second.id).not.toBe(first.id);
    expect((await queue.getJobOrThrow(first.id)).payload).toBe(1);
  });

  it("debounce when the job already started makes a new job, which the key then names", async () => {
    const { queue, worker } = setup();
    const first = await queue.add({ type: "sync", payload: 1, debounce: debounced("s") });
    const [lease] = await worker.take(1);
    expect(lease?.id).toBe(first.id);
    const second = await queue.add({ type: "sync", payload: 2, debounce: debounced("s") });
    expect(second).toEqual({ id: second.id, created: true });
    expect(second.id).not.toBe(first.id);
    const third = await queue.add({ type: "sync", payload: 3, debounce: debounced("s") });
    expect(third).toEqual({ id: second.id, created: false, debounced: "replaced" });
    expect(await queue.getJobOrThrow(first.id)).toMatchObject({ state: "processing", payload: 1 });
    expect(await queue.getJobOrThrow(second.id)).toMatchObject({ state: "pending", payload: 3 });
  });

  it("throttle drops submissions within the window whatever the job's state, then lets one through", async () => {
    const { queue, worker } = setup();
    const throttled = (payload: number, windowMs = 150): JobInput => ({
      type: "mail",
      payload,
      debounce: debounced("t", windowMs, "throttle"),
    });
    const first = await queue.add(throttled(1));
    expect(await queue.add(throttled(2))).toEqual({ id: first.id, created: false, debounced: "dropped" });
    const [lease] = await worker.take(1);
    if (!lease) throw new Error("no lease");
    await worker.settle([{ lease, kind: "completed" }], 0);
    // Finished within its window: still dropped (at most one job per key per window).
    const dropped = await queue.submit(throttled(3));
    expect(dropped).toMatchObject({
      created: false,
      debounced: "dropped",
      job: { id: first.id, payload: 1 },
    });
    await windowOver(queue, "mail", "t");
    const next = await queue.add(throttled(4));
    expect(next.created).toBe(true);
    expect((await queue.counts()).total).toMatchObject({ pending: 1, completed: 1 });
  });

  it("a batch with two submissions of one key: the second replaces (debounce) or is dropped (throttle)", async () => {
    const { queue } = setup();
    const [a, b] = await queue.addBulk([
      { type: "sync", payload: "a", debounce: debounced("b") },
      { type: "sync", payload: "b", delayMs: 5_000, debounce: debounced("b") },
    ]);
    expect(a).toEqual({ id: a?.id, created: true });
    expect(b).toEqual({ id: a?.id, created: false, debounced: "replaced" });
    expect(await queue.getJobOrThrow(a?.id as string)).toMatchObject({ payload: "b", state: "scheduled" });
    const submitted = await queue.submitBulk([
      { type: "mail", payload: "x", debounce: debounced("b", 60_000, "throttle") },
      { type: "mail", payload: "y", debounce: debounced("b", 60_000, "throttle") },
    ]);
    expect(submitted.map((entry) => [entry.created, entry.debounced, entry.job.payload])).toEqual([
      [true, undefined, "x"],
      [false, "dropped", "x"],
    ]);
    expect(submitted[1]?.job.id).toBe(submitted[0]?.job.id);
    // Keys are per job type: "b" of sync and "b" of mail are two keys.
    expect((await queue.counts()).total).toMatchObject({ scheduled: 1, pending: 1 });
    await expectConsistent(queue);
  });

  it("with an idempotency key: a replay answers the debounced job, another body under the key is refused", async () => {
    const { queue } = setup();
    const first = await queue.add({
      type: "sync",
      payload: 1,
      idempotencyKey: "r1",
      debounce: debounced("i"),
    });
    const request = { type: "sync", payload: 2, idempotencyKey: "r2", debounce: debounced("i") };
    expect(await queue.add(request)).toEqual({ id: first.id, created: false, debounced: "replaced" });
    // The same request again (a client retry) is an idempotent replay of that answer's job.
    expect(await queue.add(request)).toEqual({ id: first.id, created: false });
    expect((await queue.getJobOrThrow(first.id)).payload).toBe(2);
    await expect(queue.add({ ...request, payload: 3 })).rejects.toBeInstanceOf(IdempotencyConflictError);
    expect((await queue.getJobOrThrow(first.id)).payload).toBe(2);
    expect((await queue.counts()).total.pending).toBe(1);
  });

  it("refuses bad debounce input naming the field, and writes nothing", async () => {
    const { queue } = setup();
    const issuesOf = async (debounce: unknown, extra: Partial<JobInput> = {}) => {
      const error = await queue
        .add({ type: "t", ...extra, debounce } as JobInput)
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ValidationError);
      return (error as ValidationError).issues;
    };
    expect(await issuesOf({ key: "", windowMs: 10 })).toEqual([
      { path: "debounce.key", message: "must not be empty" },
    ]);
    expect(await issuesOf({ key: "x".repeat(LIMITS.debounceKeyChars + 1), windowMs: 10 })).toEqual([
      { path: "debounce.key", message: `must be at most ${LIMITS.debounceKeyChars} characters` },
    ]);
    expect(await issuesOf({ key: "\ud83d", windowMs: 10 })).toEqual([
      { path: "debounce.key", message: "must be well-formed Unicode (no lone surrogates)" },
    ]);
    expect(await issuesOf({ key: "k", windowMs: 0 })).toEqual([
      { path: "debounce.windowMs", message: "must be at least 1" },
    ]);
    expect(await issuesOf({ key: "k", windowMs: 10, mode: "sometimes" })).toEqual([
      { path: "debounce.mode", message: "must be 'debounce' or 'throttle'" },
    ]);
    expect((await issuesOf({ key: "k" }))[0]?.path).toBe("debounce.windowMs");
    expect((await issuesOf("k"))[0]?.path).toBe("debounce");
    const parent = await queue.add({ type: "p" });
    expect(await issuesOf({ key: "k", windowMs: 10 }, { dependsOn: [parent.id] })).toEqual([
      { path: "debounce", message: "cannot be combined with dependsOn" },
    ]);
    expect((await queue.counts()).total.pending).toBe(1);
    // Well-formed keys of any script are fine, and keep apart.
    const a = await queue.add({ type: "t", debounce: { key: "clé 🚀", windowMs: 60_000 } });
    const b = await queue.add({ type: "t", debounce: { key: "clé 🚀!", windowMs: 60_000 } });
    expect(b.id).not.toBe(a.id);
  });
});
