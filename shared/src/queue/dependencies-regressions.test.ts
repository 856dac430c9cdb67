/**
 * Regressions found by review: stale resolutions, children outliving their
 * blocking, deleted parents, dead-letter bulk actions and duplicate parents.
 */
import { describe, expect, it } from "vitest";
import { targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { Consumer } from "../consumer/consumer.js";
import { Queue } from "./queue.js";

describe.each(targets)("dependency edge cases (%s)", (_name, url) => {
  const redis = useRedis(url);
  const setup = () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("edge") });
    const state = async (id: string | undefined) => (await queue.getJob(id ?? ""))?.state ?? null;
    /** Runs every job of one type available now: completes it, or dead-letters it. */
    const runType = async (type: string, outcome: "completed" | "dead" = "completed") => {
      const worker = new Consumer({
        redis: redis(),
        queue: queue.name,
        workerId: `w-${type}`,
        types: [type],
      });
      const jobs = await worker.take(1_000);
      await worker.settle(
        jobs.map((lease) =>
          outcome === "completed"
            ? { lease, kind: "completed" as const }
            : { lease, kind: "failed" as const, error: new Error("x"), unrecoverable: true },
        ),
        0,
      );
      return jobs.map((job) => job.id);
    };
    return { queue, state, runType };
  };

  it("ignores a parent's old failure once it has been retried", async () => {
    const { queue, state, runType } = setup();
    const [parent, ...children] = await queue.addBulk([
      { type: "p", ref: "p" },
      ...Array.from({ length: 150 }, () => ({ type: "c", dependsOn: ["p"] })),
    ]);
    await runType("p", "dead"); // resolves 100 children now, leaves the rest queued
    await queue.retry(parent?.id ?? "", { cascade: true });
    await queue.maintain(); // works off the queued, now stale, failure
    expect(new Set(await Promise.all(children.map((child) => state(child.id))))).toEqual(
      new Set(["blocked"]),
    );
    await runType("p");
    await queue.maintain();
    expect(new Set(await Promise.all(children.map((child) => state(child.id))))).toEqual(
      new Set(["pending"]),
    );
  });

  it("never lets a canceled and retried child run before all its parents finish", async () => {
    const { queue, state, runType } = setup();
    await queue.addBulk([
      { type: "t0", ref: "p0" },
      ...Array.from({ length: 400 }, () => ({ type: "k", dependsOn: ["p0"] })),
    ]);
    const [, p2, child] = await queue.addBulk([
      { type: "t1", ref: "p1" },
      { type: "t2", ref: "p2" },
      { type: "tc", dependsOn: ["p1", "p2"] },
    ]);
    await queue.cancel(child?.id ?? "");
    await runType("t0"); // a backlog of children to resolve
    await runType("t1"); // queued behind it
    expect(await queue.retry(child?.id ?? "")).toBe("blocked");
    await queue.maintain();
    expect(await state(child?.id)).toBe("blocked");
    expect(await runType("tc")).toEqual([]);
    expect(await state(p2?.id)).toBe("pending");
  });

  it("counts a deleted parent as finished when a child is retried", async () => {
    const { queue, state, runType } = setup();
    const [done, parent, child] = await queue.addBulk([
      { type: "ta", ref: "a" },
      { type: "tp", ref: "p" },
      { type: "tc", dependsOn: ["a", "p"] },
    ]);
    await runType("ta");
    await runType("tp", "dead");
    expect(await state(child?.id)).toBe("failed");
    await queue.remove(done?.id ?? "");
    await queue.retry(parent?.id ?? "", { cascade: true });
    await runType("tp");
    await queue.maintain();
    expect(await state(child?.id)).toBe("pending");
    expect(await queue.getJob(done?.id ?? "")).toBeNull();
  });

  it("retries the dead-letter queue without starting a child whose parent is still failed", async () => {
    const { queue, state, runType } = setup();
    const [parent, child] = await queue.addBulk([
      { type: "tp", ref: "p" },
      { type: "tc", dependsOn: ["p"] },
    ]);
    await runType("tp", "dead");
    expect(await queue.retryDeadLetter({ type: "tc" })).toBe(0);
    expect(await state(child?.id)).toBe("failed");
    // Parent and child together: the parent goes first, the child waits for it.
    expect(await queue.retryDeadLetter()).toBe(2);
    expect([await state(parent?.id), await state(child?.id)]).toEqual(["pending", "blocked"]);
    expect((await queue.getJobOrThrow(child?.id ?? "")).failedParent).toBeNull();
  });

  it("purges past parents that blocked jobs still wait on, in every type", async () => {
    const { queue, state, runType } = setup();
    // `kept` fails while its child still waits for `slow`: the failed parent is kept.
    const [kept, , child] = await queue.addBulk([
      { type: "kept", ref: "k" },
      { type: "slow", ref: "s" },
      { type: "waits", dependsOn: ["k", "s"], onParentFailure: "ignore" },
    ]);
    await runType("kept", "dead");
    await queue.addBulk(Array.from({ length: 5 }, () => ({ type: "gone" })));
    await runType("gone", "dead");
    expect(await state(child?.id)).toBe("blocked");
    expect(await queue.purgeDeadLetter()).toBe(5);
    expect((await queue.counts()).byType.gone?.failed).toBe(0);
    expect(await state(kept?.id)).toBe("failed");
  });

  it("waits once for a parent named twice through an idempotency key", async () => {
    const { queue, state, runType } = setup();
    const [a, b, child] = await queue.addBulk([
      { type: "tp", ref: "a", idempotencyKey: "same" },
      { type: "tp", ref: "b", idempotencyKey: "same" },
      { type: "tc", dependsOn: ["a", "b"] },
    ]);
    expect(b?.id).toBe(a?.id);
    expect((await queue.getJobOrThrow(child?.id ?? "")).dependsOn).toEqual([a?.id]);
    await runType("tp");
    expect(await state(child?.id)).toBe("pending");
  });
});

describe.each(targets)("engine edge cases (%s)", (_name, url) => {
  const redis = useRedis(url);

  it("caps an exponential backoff that sets no maximum", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("edge") });
    const worker = new Consumer({ redis: redis(), queue: queue.name, workerId: "w" });
    const { id } = await queue.add({
      type: "b",
      maxAttempts: 60,
      backoff: { strategy: "exponential", delayMs: 1_000, jitter: false },
    });
    await redis().hset(queue.context.keys.job(id.split(":")[1] ?? ""), "a", 49); // as if 49 attempts had failed
    const [job] = await worker.take(1);
    if (!job) throw new Error("no job");
    await worker.settle([{ lease: job, kind: "failed", error: new Error("boom") }], 0);
    const runAt = Date.parse((await queue.getJobOrThrow(id)).runAt ?? "");
    expect(runAt - Date.now()).toBeLessThanOrEqual(7 * 24 * 3600 * 1000);
    expect(runAt - Date.now()).toBeGreaterThan(6 * 24 * 3600 * 1000);
  });

  it("pages processing jobs leased together without skipping any", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("edge") });
    await queue.addBulk(Array.from({ length: 94 }, () => ({ type: "pad" })));
    await queue.addBulk(Array.from({ length: 12 }, () => ({ type: "tl" })));
    const taken = await new Consumer({
      redis: redis(),
      queue: queue.name,
      workerId: "w",
      types: ["tl"],
    }).take(100);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await queue.list({ state: "processing", limit: 2, cursor });
      seen.push(...page.items.map((job) => job.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen.sort()).toEqual(taken.map((job) => job.id).sort());
  });
});
