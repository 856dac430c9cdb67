/**
 * Fair queuing per group (tenant): groups of one job type take turns, so a tenant
 * with a huge backlog cannot starve one with a few jobs; priorities still order
 * jobs inside a group; weights share turns; grouped jobs are listed, counted,
 * canceled and retried like any other.
 */
import { describe, expect, it } from "vitest";
import { eventually, targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { Consumer } from "../consumer/consumer.js";
import type { LeasedJob } from "../consumer/leased-job.js";
import type { JobInput } from "../schemas/job-input.js";
import { Queue } from "./queue.js";

async function addMany(queue: Queue, count: number, job: (i: number) => JobInput) {
  for (let start = 0; start < count; start += 1_000) {
    const batch = Array.from({ length: Math.min(1_000, count - start) }, (_, i) => job(start + i));
    await queue.addBulk(batch);
  }
}

/** Takes and completes jobs `batch` at a time until `stop` says so; returns them in start order. */
async function drain(consumer: Consumer, batch: number, stop: (started: LeasedJob[]) => boolean) {
  const started: LeasedJob[] = [];
  let finished: LeasedJob[] = [];
  while (!stop(started)) {
    const { taken } = await consumer.settle(
      finished.map((lease) => ({ lease, kind: "completed" as const })),
      batch,
    );
    if (taken.length === 0 && finished.length === 0) break;
    started.push(...taken);
    finished = taken;
  }
  return started;
}

const groupOf = (job: LeasedJob) => (job.payload as { tenant?: string }).tenant ?? "";

describe.each(targets)("fair queuing (%s)", (_name, url) => {
  const redis = useRedis(url);

  it("starts a small tenant's jobs within a few of a huge tenant's backlog", async () => {
    const name = uniqueQueue("fair");
    const queue = new Queue({ redis: redis(), name });
    await addMany(queue, 100_000, () => ({ type: "work", payload: { tenant: "a" }, groupFrom: "/tenant" }));
    await queue.addBulk(
      Array.from({ length: 10 }, () => ({ type: "work", payload: { tenant: "b" }, group: "b" })),
    );
    const consumer = new Consumer({ redis: redis(), queue: name, workerId: "w-fair" });
    const started = await drain(
      consumer,
      50,
      (jobs) => jobs.filter((job) => groupOf(job) === "b").length === 10,
    );
    const lastOfB = started.findLastIndex((job) => groupOf(job) === "b");
    // Turns alternate a, b, a, b...: b's ten jobs are done within its first twenty starts.
    expect(lastOfB).toBeLessThan(25);
    expect((await queue.counts()).total.pending).toBe(100_010 - started.length);
  }, 120_000);

  it("serves ungrouped jobs as one more group, and keeps priority order inside each group", async () => {
    const name = uniqueQueue("fair-prio");
    const queue = new Queue({ redis: redis(), name });
    await queue.addBulk([
      ...[1, 5, 10, 3].map((priority) => ({
        type: "t",
        payload: { tenant: "a", priority },
        group: "a",
        priority,
      })),
      ...[2, 9].map((priority) => ({ type: "t", payload: { priority }, priority })),
    ]);
    const consumer = new Consumer({ redis: redis(), queue: name, workerId: "w-prio" });
    const started = await drain(consumer, 1, (jobs) => jobs.length === 6);
    const inA = started
      .filter((job) => groupOf(job) === "a")
      .map((job) => (job.payload as { priority: number }).priority);
    const ungrouped = started
      .filter((job) => groupOf(job) === "")
      .map((job) => (job.payload as { priority: number }).priority);
    expect(inA).toEqual([10, 5, 3, 1]);
    expect(ungrouped).toEqual([9, 2]);
    // The two groups alternate while both have jobs.
    expect(started.slice(0, 4).map(groupOf).sort()).toEqual(["", "", "a", "a"]);
  });

  it("gives a weight-3 group three turns for every turn of a weight-1 group", async () => {
    const name = uniqueQueue("fair-weight");
    const queue = new Queue({ redis: redis(), name });
    await queue.setGroupWeight("t", "big", 3);
    await addMany(queue, 200, (i) => ({
      type: "t",
      payload: { tenant: i % 2 ? "big" : "small" },
      groupFrom: "/tenant",
    }));
    const consumer = new Consumer({ redis: redis(), queue: name, workerId: "w-weight" });
    const started = await drain(consumer, 10, (jobs) => jobs.length >= 80);
    const big = started.slice(0, 80).filter((job) => groupOf(job) === "big").length;
    expect(big).toBeGreaterThanOrEqual(57);
    expect(big).toBeLessThanOrEqual(63);
  });

  it("lists, counts, cancels and retries grouped jobs like any other", async () => {
    const name = uniqueQueue("fair-admin");
    const queue = new Queue({ redis: redis(), name });
    const [kept, canceled] = await queue.addBulk([
      {
        type: "t",
        payload: { tenant: "a" },
        group: "a",
        maxAttempts: 2,
        backoff: { strategy: "fixed", delayMs: 0 },
      },
      { type: "t", payload: { tenant: "a" }, group: "a" },
      { type: "t", payload: {} },
    ]);
    const page = await queue.list({ state: "pending" });
    expect(page.items).toHaveLength(3);
    expect((await queue.getJob(kept?.id as string))?.group).toBe("a");
    expect((await queue.counts()).total.pending).toBe(3);

    expect(await queue.cancel(canceled?.id as string)).toBe("pending");
    expect((await queue.list({ state: "pending" })).items).toHaveLength(2);

    const consumer = new Consumer({ redis: redis(), queue: name, workerId: "w-admin" });
    const first = await consumer.take(10);
    expect(first.map((job) => job.id).sort()).toHaveLength(2);
    const grouped = first.find((job) => job.id === kept?.id) as LeasedJob;
    // A failed attempt with no backoff goes straight back to its group's turn.
    await consumer.settle([{ lease: grouped, kind: "failed", error: new Error("again") }], 0);
    expect((await queue.getJob(grouped.id))?.state).toBe("pending");
    const again = await consumer.take(10);
    expect(again.map((job) => job.id)).toEqual([grouped.id]);
    expect(again[0]?.attempt).toBe(2);
  });

  it("serves a grouped type beside plain types in one take, by the job each offers next", async () => {
    const name = uniqueQueue("fair-mixed");
    const queue = new Queue({ redis: redis(), name });
    await queue.addBulk([
      { type: "plain", payload: { n: 1 }, priority: 10 },
      { type: "grouped", payload: { tenant: "a" }, groupFrom: "/tenant", priority: 1 },
      { type: "grouped", payload: { tenant: "b" }, groupFrom: "/tenant", priority: 1 },
      { type: "plain", payload: { n: 2 }, priority: 1 },
    ]);
    const consumer = new Consumer({ redis: redis(), queue: name, workerId: "w-mixed" });
    const first = await consumer.take(1);
    // Priority 10 beats what the grouped type offers next.
    expect(first.map((job) => job.type)).toEqual(["plain"]);
    const rest = await consumer.take(10);
    expect(rest.map((job) => job.type).sort()).toEqual(["grouped", "grouped", "plain"]);
    expect(
      rest
        .filter((job) => job.type === "grouped")
        .map(groupOf)
        .sort(),
    ).toEqual(["a", "b"]);
    expect(await consumer.take(10)).toEqual([]);
  });

  it("takes a grouped job out of its group's lane when it expires unstarted", async () => {
    const name = uniqueQueue("fair-expiry");
    const queue = new Queue({ redis: redis(), name });
    const { id } = await queue.add({ type: "t", payload: {}, group: "a", expireAfterMs: 50 });
    const lane = `${queue.context.keys.prefix}lane:t:a`;
    expect(await redis().zcard(lane)).toBe(1);
    await eventually(
      async () => (await queue.maintain()).expired === 1 || (await queue.getJob(id))?.state === "canceled",
    );
    expect(await queue.getJobOrThrow(id)).toMatchObject({ state: "canceled", cancelReason: "expired" });
    expect(await redis().zcard(lane)).toBe(0);
    expect((await queue.counts()).total.pending).toBe(0);
    expect((await queue.list({ state: "pending" })).items).toEqual([]);
    const consumer = new Consumer({ redis: redis(), queue: name, workerId: "w-exp" });
    expect(await consumer.take(5)).toEqual([]);
    expect((await queue.counts()).total.pending).toBe(0);
  });

  it("refuses a group key that is empty, too long, not a string, or not found by groupFrom", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("fair-bad") });
    await expect(queue.add({ type: "t", group: "" })).rejects.toMatchObject({
      issues: [{ path: "group", message: "must not be empty" }],
    });
    await expect(queue.add({ type: "t", group: "x".repeat(129) })).rejects.toMatchObject({
      issues: [{ path: "group" }],
    });
    await expect(queue.add({ type: "t", group: "a\u0000b" })).rejects.toMatchObject({
      issues: [{ path: "group", message: "must not contain control characters" }],
    });
    await expect(
      queue.add({ type: "t", payload: { tenant: { id: 1 } }, groupFrom: "/tenant" }),
    ).rejects.toMatchObject({
      issues: [{ path: "groupFrom" }],
    });
    await expect(queue.add({ type: "t", groupFrom: "tenant" })).rejects.toMatchObject({
      issues: [{ path: "groupFrom" }],
    });
    await expect(queue.add({ type: "t", group: "a", groupFrom: "/a" })).rejects.toMatchObject({
      issues: [{ path: "groupFrom", message: "give group or groupFrom, not both" }],
    });
    expect((await queue.counts()).total.pending).toBe(0);
  });
});
