import { describe, expect, it } from "vitest";
import { targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { Consumer } from "../consumer/consumer.js";
import { ValidationError } from "../errors.js";
import type { JobState } from "../schemas/job-state.js";
import { Queue } from "./queue.js";

describe.each(targets)("listing and counting (%s)", (_name, url) => {
  const redis = useRedis(url);

  async function walk(
    queue: Queue,
    state: JobState,
    limit: number,
    type?: string,
    between?: () => Promise<void>,
  ) {
    const ids: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await queue.list({ state, type, limit, cursor });
      ids.push(...page.items.map((job) => job.id));
      expect(page.items.every((job) => job.state === state)).toBe(true);
      if (!page.nextCursor) return ids;
      cursor = page.nextCursor;
      await between?.();
    }
  }

  it("pages pending jobs newest first, across types and priorities, stable while jobs are added", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("list") });
    const added = await queue.addBulk(
      Array.from({ length: 230 }, (_, i) => ({
        type: ["a", "b", "c"][i % 3] as string,
        priority: 1 + (i % 10),
      })),
    );
    const seen = await walk(queue, "pending", 17, undefined, async () => {
      await queue.add({ type: "a", priority: 10 });
    });
    // Every original job exactly once, newest first; jobs added meanwhile are newer, so not in later pages.
    expect(seen).toEqual(added.map((job) => job.id).reverse());
    const onlyB = await walk(queue, "pending", 50, "b");
    expect(onlyB).toEqual(
      added
        .filter((_, i) => i % 3 === 1)
        .map((job) => job.id)
        .reverse(),
    );
  });

  it("pages final jobs newest first without gaps or duplicates", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("list") });
    const worker = new Consumer({ redis: redis(), queue: queue.name, workerId: "w1" });
    await queue.addBulk(Array.from({ length: 300 }, (_, i) => ({ type: i % 2 ? "x" : "y" })));
    let completed: string[] = [];
    for (;;) {
      // Large batches finish in the same millisecond: ties must still page exactly.
      const jobs = await worker.take(100);
      if (jobs.length === 0) break;
      await worker.settle(
        jobs.map((lease) => ({ lease, kind: "completed" as const })),
        0,
      );
      completed = completed.concat(jobs.map((job) => job.id));
    }
    const seen = await walk(queue, "completed", 7);
    expect(new Set(seen).size).toBe(300);
    expect([...seen].sort()).toEqual([...completed].sort());
    const first = await queue.list({ state: "completed", limit: 1 });
    expect(first.items[0]?.id).toBe(seen[0]);
  });

  it("lists scheduled jobs sharing one run time without losing any at page edges", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("list") });
    const runAt = Date.now() + 3_600_000;
    await queue.addBulk(Array.from({ length: 45 }, () => ({ type: "later", runAt })));
    expect(new Set(await walk(queue, "scheduled", 10)).size).toBe(45);
  });

  it("lists jobs leased in one call, which share their lease deadline, without losing any at page edges", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("list") });
    const worker = new Consumer({ redis: redis(), queue: queue.name, workerId: "w1", leaseMs: 60_000 });
    await queue.addBulk(Array.from({ length: 130 }, () => ({ type: "x" })));
    const before = Date.now();
    const leased = await worker.take(130);
    expect(leased).toHaveLength(130);
    const seen = await walk(queue, "processing", 20);
    expect([...seen].sort()).toEqual(leased.map((job) => job.id).sort());
    // The index is scored by the deadline in whole ms: integers, which a small sorted set
    // stores as integers rather than as text it must parse on every insert.
    const scores = await redis().zrange(queue.context.keys.index("processing", "x"), 0, -1, "WITHSCORES");
    const deadlines = new Set(scores.filter((_, i) => i % 2 === 1));
    expect(deadlines.size).toBe(1);
    const [deadline] = [...deadlines].map(Number);
    expect(Number.isInteger(deadline)).toBe(true);
    expect(deadline).toBeGreaterThanOrEqual(before + 60_000 - 1_000);
    expect(deadline).toBeLessThanOrEqual(Date.now() + 60_000 + 1_000);
  });

  it("filters by priority: exactly for pending jobs, in bounded steps for the other states", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("prio") });
    const worker = new Consumer({ redis: redis(), queue: queue.name, workerId: "w1" });
    // Three urgent jobs among 5,000: they run first, so among completed jobs they are the oldest.
    const inputs = Array.from({ length: 5_000 }, (_, i) => ({
      type: i % 7 ? "x" : "y",
      priority: i < 3 ? 9 : 3,
    }));
    for (let i = 0; i < inputs.length; i += 1_000) await queue.addBulk(inputs.slice(i, i + 1_000));

    const walkPriority = async (state: JobState, type?: string) => {
      const ids: string[] = [];
      let cursor: string | undefined;
      let shortPages = 0;
      for (;;) {
        const page = await queue.list({ state, type, priority: 9, limit: 10, cursor });
        expect(page.items.every((job) => job.priority === 9)).toBe(true);
        ids.push(...page.items.map((job) => job.id));
        if (!page.nextCursor) return { ids, shortPages };
        if (page.items.length < 10) shortPages++;
        cursor = page.nextCursor;
      }
    };
    const pending = await walkPriority("pending");
    expect(pending).toMatchObject({
      ids: [expect.any(String), expect.any(String), expect.any(String)],
      shortPages: 0,
    });

    for (;;) {
      const jobs = await worker.take(500);
      if (jobs.length === 0) break;
      await worker.settle(
        jobs.map((lease) => ({ lease, kind: "completed" as const })),
        0,
      );
    }
    // Type x has about 4,300 completed jobs: more than one filtered read examines (2,000),
    // so the walk comes back short, resumes, and still finds every match exactly once.
    const completed = await walkPriority("completed", "x");
    expect(completed.ids.sort()).toEqual(
      pending.ids.filter((id) => inputs[Number(id.split(":")[1]) - 1]?.type === "x").sort(),
    );
    expect(completed.shortPages).toBeGreaterThan(0);
    await expect(queue.list({ state: "pending", priority: 11 })).rejects.toMatchObject({
      issues: [{ path: "priority" }],
    });
  });

  it("counts per state and per type", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("count") });
    await queue.addBulk([{ type: "a" }, { type: "a", delayMs: 60_000 }, { type: "b" }]);
    const counts = await queue.counts();
    expect(counts.total).toEqual({
      blocked: 0,
      scheduled: 1,
      pending: 2,
      processing: 0,
      completed: 0,
      failed: 0,
      canceled: 0,
    });
    expect(counts.byType.a).toMatchObject({ pending: 1, scheduled: 1 });
  });

  it("rejects bad listing options with the field named", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("list") });
    const cases: [Parameters<Queue["list"]>[0], string][] = [
      [{ state: "running" as JobState }, "state"],
      [{ state: "pending", limit: 0 }, "limit"],
      [{ state: "pending", limit: 201 }, "limit"],
      [{ state: "pending", cursor: "garbage!" }, "cursor"],
      [{ state: "pending", type: "Bad Type" }, "type"],
    ];
    for (const [options, path] of cases) {
      const error = await queue.list(options).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues[0]?.path).toBe(path);
    }
  });
});
