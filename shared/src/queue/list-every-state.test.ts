import { describe, expect, it } from "vitest";
import { targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { Consumer } from "../consumer/consumer.js";
import { ValidationError } from "../errors.js";
import type { Job } from "../job.js";
import { queueKeys } from "../keys.js";
import { Queue } from "./queue.js";

describe.each(targets)("listing every state (%s)", (_name, url) => {
  const redis = useRedis(url);

  async function walk(queue: Queue, limit: number, between?: () => Promise<void>) {
    const jobs: Job[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await queue.list({ limit, cursor });
      jobs.push(...page.items);
      if (!page.nextCursor) return jobs;
      expect(page.items.length).toBe(limit);
      cursor = page.nextCursor;
      await between?.();
    }
  }

  /** A queue with jobs in each of the seven states, many finished in the same millisecond. */
  async function queueInEveryState() {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("all") });
    const worker = new Consumer({ redis: redis(), queue: queue.name, workerId: "w1", types: ["run"] });
    const finished = await queue.addBulk(Array.from({ length: 40 }, () => ({ type: "run" })));
    const taken = await worker.take(40);
    await worker.settle(
      taken
        .slice(0, 30)
        .map((lease, i) =>
          i % 3 === 0
            ? { lease, kind: "failed" as const, error: new Error("no"), unrecoverable: true }
            : { lease, kind: "completed" as const },
        ),
      0,
    );
    await queue.addBulk(Array.from({ length: 5 }, () => ({ type: "run" })));
    const more = await worker.take(5); // processing
    expect(more.length).toBe(5);
    const pending = await queue.addBulk(
      Array.from({ length: 23 }, (_, i) => ({ type: i % 2 ? "a" : "b", priority: 1 + (i % 10) })),
    );
    await queue.addBulk(Array.from({ length: 7 }, (_, i) => ({ type: "a", delayMs: 60_000 + i })));
    await queue.add({ type: "a", dependsOn: [pending[0]?.id as string] }); // blocked
    await queue.cancel(pending[1]?.id as string);
    return { queue, total: 40 + 5 + 23 + 7 + 1, finished };
  }

  it("pages pending first, then the other states merged by their index time, each job once", async () => {
    const { queue, total } = await queueInEveryState();
    const jobs = await walk(queue, 6);
    expect(new Set(jobs.map((job) => job.id)).size).toBe(total);
    expect(jobs.length).toBe(total);
    const states = new Set(jobs.map((job) => job.state));
    expect([...states].sort()).toEqual(
      ["blocked", "canceled", "completed", "failed", "pending", "processing", "scheduled"].sort(),
    );

    const firstOther = jobs.findIndex((job) => job.state !== "pending");
    const pendingPart = jobs.slice(0, firstOther).map((job) => job.id);
    expect(jobs.slice(firstOther).every((job) => job.state !== "pending")).toBe(true);
    const onlyPending: string[] = [];
    for (let cursor: string | undefined; ; ) {
      const page = await queue.list({ state: "pending", limit: 50, cursor });
      onlyPending.push(...page.items.map((job) => job.id));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(pendingPart).toEqual(onlyPending);

    // The rest: index score (a time in ms with a seq fraction) descending, ties by seq descending.
    const keys = queueKeys(queue.name);
    const scored = await Promise.all(
      jobs.slice(firstOther).map(async (job) => ({
        seq: Number(job.id.split(":")[1]),
        score: Number(await redis().zscore(keys.index(job.state, job.type), job.id.split(":")[1] as string)),
      })),
    );
    for (let i = 1; i < scored.length; i++) {
      const [a, b] = [scored[i - 1], scored[i]] as [
        { seq: number; score: number },
        { seq: number; score: number },
      ];
      expect(
        a.score > b.score || (a.score === b.score && a.seq > b.seq),
        `${i}: ${JSON.stringify([a, b])}`,
      ).toBe(true);
    }
    // Scheduled jobs run in the future: the newest time, so first among the merged states.
    expect(jobs[firstOther]?.state).toBe("scheduled");
  });

  it("keeps its cursor exact while jobs are added, filters by type and priority", async () => {
    const { queue, total } = await queueInEveryState();
    const seen = await walk(queue, 4, async () => {
      await queue.add({ type: "a", priority: 10 });
    });
    expect(new Set(seen.map((job) => job.id)).size).toBe(total);

    const typeA = (await walk(queue, 5)).filter((job) => job.type === "a").map((job) => job.id);
    const onlyA: string[] = [];
    for (let cursor: string | undefined; ; ) {
      const page = await queue.list({ type: "a", limit: 5, cursor });
      onlyA.push(...page.items.map((job) => job.id));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(onlyA).toEqual(typeA);

    const urgent: Job[] = [];
    for (let cursor: string | undefined; ; ) {
      const page = await queue.list({ priority: 3, limit: 2, cursor });
      urgent.push(...page.items);
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(urgent.length).toBeGreaterThan(0);
    expect(urgent.every((job) => job.priority === 3)).toBe(true);
  });

  it("rejects a one-state cursor for every state and the reverse", async () => {
    const { queue } = await queueInEveryState();
    const stateCursor = (await queue.list({ state: "pending", limit: 1 })).nextCursor as string;
    const everyCursor = (await queue.list({ limit: 1 })).nextCursor as string;
    for (const attempt of [
      queue.list({ cursor: stateCursor }),
      queue.list({ state: "pending", cursor: everyCursor }),
    ]) {
      const error = await attempt.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues[0]?.path).toBe("cursor");
    }
  });
});
