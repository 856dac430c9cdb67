import { describe, expect, it } from "vitest";
import { targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { Consumer } from "../consumer/consumer.js";
import { IllegalTransitionError, JobNotFoundError } from "../errors.js";
import { Queue } from "./queue.js";

describe.each(targets)("job actions (%s)", (_name, url) => {
  const redis = useRedis(url);
  const setup = () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("act") });
    const worker = new Consumer({ redis: redis(), queue: queue.name, workerId: "w1" });
    return { queue, worker };
  };

  it("cancels pending and scheduled jobs at once; they are never taken", async () => {
    const { queue, worker } = setup();
    const pending = await queue.add({ type: "noop" });
    const scheduled = await queue.add({ type: "noop", delayMs: 10 });
    expect(await queue.cancel(pending.id)).toBe("pending");
    expect(await queue.cancel(scheduled.id)).toBe("scheduled");
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(await worker.take(10)).toEqual([]);
    expect(await queue.getJobOrThrow(pending.id)).toMatchObject({ state: "canceled" });
    expect((await queue.counts()).total).toMatchObject({ canceled: 2, pending: 0, scheduled: 0 });
  });

  it("cancels a processing job: its lease is lost and its late result discarded", async () => {
    const { queue, worker } = setup();
    const { id } = await queue.add({ type: "noop" });
    const [job] = await worker.take(1);
    if (!job) throw new Error("no job");
    expect(await queue.cancel(id)).toBe("processing");
    expect(await worker.extendLeases([job])).toEqual([{ ok: false, state: "canceled" }]);
    const late = await worker.settle([{ lease: job, kind: "completed", result: "late" }], 0);
    expect(late.rejected).toEqual([{ ok: false, state: "canceled" }]);
    expect(await queue.getJobOrThrow(id)).toMatchObject({ state: "canceled", result: null });
    expect((await queue.counts()).total.processing).toBe(0);
  });

  it("refuses to cancel a final job, and names unknown jobs", async () => {
    const { queue, worker } = setup();
    const { id } = await queue.add({ type: "noop" });
    const [job] = await worker.take(1);
    if (!job) throw new Error("no job");
    await worker.settle([{ lease: job, kind: "completed" }], 0);
    const error = await queue.cancel(id).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(IllegalTransitionError);
    expect(error).toMatchObject({ state: "completed", code: "illegal_transition" });
    await expect(queue.cancel(`${queue.name}:424242`)).rejects.toBeInstanceOf(JobNotFoundError);
    await expect(queue.cancel(`other-queue:1`)).rejects.toBeInstanceOf(JobNotFoundError);
  });

  it("retries a dead-lettered or canceled job with attempts reset, keeping its error history", async () => {
    const { queue, worker } = setup();
    const { id } = await queue.add({ type: "noop", maxAttempts: 1 });
    const [job] = await worker.take(1);
    if (!job) throw new Error("no job");
    await worker.settle([{ lease: job, kind: "failed", error: new Error("nope") }], 0);
    await queue.retry(id);
    expect(await queue.getJobOrThrow(id)).toMatchObject({
      state: "pending",
      attempts: 0,
      failureReason: null,
    });
    const [again] = await worker.take(1);
    expect(again).toMatchObject({ id, attempt: 1 });
    if (!again) throw new Error("no job");
    await expect(queue.retry(id)).rejects.toMatchObject({ code: "illegal_transition", state: "processing" });
    await worker.settle([{ lease: again, kind: "completed" }], 0);
    expect((await queue.getJobOrThrow(id)).errors).toHaveLength(1);
    await expect(queue.retry(id)).rejects.toBeInstanceOf(IllegalTransitionError);

    const canceled = await queue.add({ type: "noop" });
    await queue.cancel(canceled.id);
    await queue.retry(canceled.id);
    expect((await queue.getJobOrThrow(canceled.id)).state).toBe("pending");
  });

  it("removes only final jobs", async () => {
    const { queue } = setup();
    const { id } = await queue.add({ type: "noop" });
    await expect(queue.remove(id)).rejects.toMatchObject({ code: "illegal_transition", state: "pending" });
    await queue.cancel(id);
    await queue.remove(id);
    expect(await queue.getJob(id)).toBeNull();
    expect((await queue.counts()).total.canceled).toBe(0);
    await expect(queue.remove(id)).rejects.toBeInstanceOf(JobNotFoundError);
  });

  it("retries and purges the dead-letter queue in bulk, optionally by type", async () => {
    const { queue, worker } = setup();
    const inputs = Array.from({ length: 1_200 }, (_, i) => ({ type: i % 3 ? "a" : "b", maxAttempts: 1 }));
    await queue.addBulk(inputs.slice(0, 1_000));
    await queue.addBulk(inputs.slice(1_000));
    for (;;) {
      const jobs = await worker.take(200);
      if (jobs.length === 0) break;
      await worker.settle(
        jobs.map((lease) => ({ lease, kind: "failed" as const, error: new Error("x") })),
        0,
      );
    }
    expect((await queue.counts()).total.failed).toBe(1_200);
    expect(await queue.retryDeadLetter({ type: "b" })).toBe(400);
    expect((await queue.counts()).byType.b).toMatchObject({ failed: 0, pending: 400 });
    expect(await queue.purgeDeadLetter()).toBe(800);
    expect((await queue.counts()).total).toMatchObject({ failed: 0, pending: 400 });
  });
});

describe.each(targets)("canceling a job that re-entered pending (%s)", (_name, url) => {
  const redis = useRedis(url);

  it("finds it in its new place in the pending index", async () => {
    const settings = { defaultBackoff: { delayMs: 0 } };
    const queue = new Queue({ redis: redis(), name: uniqueQueue("act"), settings });
    const worker = new Consumer({ redis: redis(), queue: queue.name, workerId: "w1", settings });
    await queue.addBulk(Array.from({ length: 300 }, () => ({ type: "noop" })));
    const [first] = await worker.take(1);
    if (!first) throw new Error("no job");
    await worker.settle([{ lease: first, kind: "failed", error: new Error("again") }], 0);
    expect(await queue.getJobOrThrow(first.id)).toMatchObject({ state: "pending", attempts: 1 });
    expect((await queue.counts()).total.pending).toBe(300);
    await queue.cancel(first.id);
    expect((await queue.counts()).total.pending).toBe(299);
    const rest = await worker.take(1_000);
    expect(rest).toHaveLength(299);
    expect(rest.map((job) => job.id)).not.toContain(first.id);
  });
});
