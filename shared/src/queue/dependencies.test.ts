import { describe, expect, it } from "vitest";
import { eventually, sleep, targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { Consumer } from "../consumer/consumer.js";
import type { LeasedJob } from "../consumer/leased-job.js";
import { IllegalTransitionError, ValidationError } from "../errors.js";
import { Queue } from "./queue.js";

describe.each(targets)("job dependencies (%s)", (_name, url) => {
  const redis = useRedis(url);
  const setup = (settings = {}, leaseMs = 30_000) => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("deps"), settings });
    const worker = new Consumer({ redis: redis(), queue: queue.name, workerId: "w1", leaseMs, settings });
    const state = async (id: string | undefined) => (await queue.getJobOrThrow(id ?? "")).state;
    /** Takes every job available now and completes (or fails) it. */
    const runAvailable = async (outcome: "completed" | "failed" = "completed", result?: unknown) => {
      const jobs = await worker.take(1_000);
      await worker.settle(
        jobs.map((lease: LeasedJob) =>
          outcome === "completed"
            ? { lease, kind: "completed" as const, result: result ?? { from: lease.id } }
            : { lease, kind: "failed" as const, error: new Error("parent broke"), unrecoverable: true },
        ),
        0,
      );
      return jobs;
    };
    return { queue, worker, state, runAvailable };
  };

  it("runs a chain in order, each child blocked until its parent completes", async () => {
    const { queue, state, runAvailable } = setup();
    const [a, b, c] = await queue.addBulk([
      { type: "step", ref: "a" },
      { type: "step", ref: "b", dependsOn: ["a"] },
      { type: "step", ref: "c", dependsOn: ["b"] },
    ]);
    expect([await state(a?.id), await state(b?.id), await state(c?.id)]).toEqual([
      "pending",
      "blocked",
      "blocked",
    ]);
    expect((await runAvailable()).map((job) => job.id)).toEqual([a?.id]);
    expect(await state(b?.id)).toBe("pending");
    expect(await state(c?.id)).toBe("blocked");
    expect((await runAvailable()).map((job) => job.id)).toEqual([b?.id]);
    expect((await runAvailable()).map((job) => job.id)).toEqual([c?.id]);
    const child = await queue.getJobOrThrow(c?.id ?? "");
    expect(child.dependsOn).toEqual([b?.id]);
    expect((await queue.getJobOrThrow(a?.id ?? "")).dependents).toEqual([b?.id]);
  });

  it("orders a batch topologically whatever order it is given in, and lists blocked jobs", async () => {
    const { queue, runAvailable } = setup();
    const added = await queue.addBulk([
      { type: "join", ref: "d", dependsOn: ["b", "c"] },
      { type: "work", ref: "b", dependsOn: ["a"] },
      { type: "work", ref: "c", dependsOn: ["a"] },
      { type: "start", ref: "a" },
    ]);
    const [d, b, c, a] = added.map((job) => job.id);
    expect((await queue.list({ state: "blocked" })).items.map((job) => job.id).sort()).toEqual(
      [b, c, d].sort(),
    );
    expect((await queue.counts()).total).toMatchObject({ blocked: 3, pending: 1 });
    expect((await runAvailable()).map((job) => job.id)).toEqual([a]);
    // The diamond's join waits for both branches.
    const branches = await runAvailable();
    expect(branches.map((job) => job.id).sort()).toEqual([b, c].sort());
    const [join] = await runAvailable();
    expect(join?.id).toBe(d);
    const graph = await queue.getJobGraph(d ?? "");
    expect(graph?.parents.map((node) => [node.id, node.state]).sort()).toEqual(
      [
        [b, "completed"],
        [c, "completed"],
      ].sort(),
    );
  });

  it("lets a child read its parents' results", async () => {
    const { queue, worker, runAvailable } = setup();
    const [parent, child] = await queue.addBulk([
      { type: "download", ref: "dl" },
      { type: "resize", dependsOn: ["dl"] },
    ]);
    await runAvailable("completed", { path: "/tmp/x.png" });
    const [leased] = await worker.take(1);
    expect(leased?.id).toBe(child?.id);
    if (!leased) throw new Error("no child");
    expect(await worker.parentResults(leased)).toEqual({ [parent?.id ?? ""]: { path: "/tmp/x.png" } });
  });

  it("depends on existing jobs by id, counting completed parents as satisfied", async () => {
    const { queue, state, runAvailable } = setup();
    const done = await queue.add({ type: "a" });
    await runAvailable();
    const running = await queue.add({ type: "b" });
    const child = await queue.add({ type: "c", dependsOn: [done.id, running.id] });
    expect(await state(child.id)).toBe("blocked");
    await runAvailable();
    expect(await state(child.id)).toBe("pending");
    const afterAll = await queue.add({ type: "d", dependsOn: [done.id], delayMs: 60_000 });
    expect(await state(afterAll.id)).toBe("scheduled");
  });

  it("rejects bad graphs, naming the offending refs, and writes nothing", async () => {
    const { queue } = setup();
    const cases: [Parameters<Queue["addBulk"]>[0], string, RegExp][] = [
      [
        [
          { type: "x", ref: "a", dependsOn: ["b"] },
          { type: "x", ref: "b", dependsOn: ["a"] },
        ],
        "jobs",
        /cycle.*a, b/,
      ],
      [[{ type: "x", ref: "a", dependsOn: ["a"] }], "dependsOn", /cycle.*a/],
      [
        [
          { type: "x", ref: "a" },
          { type: "x", ref: "a" },
        ],
        "jobs.1.ref",
        /duplicate ref "a"/,
      ],
      [
        [
          { type: "x", ref: "a" },
          { type: "x", dependsOn: ["nope"] },
        ],
        "jobs.1.dependsOn",
        /unknown ref "nope"/,
      ],
      [[{ type: "x", dependsOn: ["other:1"] }], "dependsOn", /within queue/],
      [[{ type: "x", dependsOn: [`${queue.name}:99999`] }], "dependsOn", /unknown job/],
      [[{ type: "x", dependsOn: ["a", "a"] }], "dependsOn", /twice/],
    ];
    for (const [inputs, path, message] of cases) {
      const error = await queue.addBulk(inputs).catch((caught: unknown) => caught);
      expect(error, JSON.stringify(inputs)).toBeInstanceOf(ValidationError);
      const issue = (error as ValidationError).issues[0];
      if (path !== "dependsOn" || inputs.length === 1) expect(issue?.path).toBe(path);
      expect(issue?.message).toMatch(message);
    }
    expect(Object.values((await queue.counts()).total).reduce((a, b) => a + b, 0)).toBe(0);
  });

  it("fails dependents down three levels when a parent is dead-lettered", async () => {
    const { queue, state, runAvailable } = setup();
    const [a, b, c] = (
      await queue.addBulk([
        { type: "x", ref: "a" },
        { type: "x", ref: "b", dependsOn: ["a"] },
        { type: "x", ref: "c", dependsOn: ["b"] },
      ])
    ).map((job) => job.id);
    await runAvailable("failed");
    expect(await state(a)).toBe("failed");
    const jobB = await queue.getJobOrThrow(b ?? "");
    expect(jobB).toMatchObject({ state: "failed", failureReason: "dependency-failed", failedParent: a });
    // The parent's full id, as GET /v1/jobs/:id takes it.
    expect(jobB.lastError?.message).toBe(`dependency ${a} failed`);
    expect(await queue.getJobOrThrow(c ?? "")).toMatchObject({ state: "failed", failedParent: b });
    // A child submitted after its parent failed fails at once.
    const late = await queue.add({ type: "x", dependsOn: [a ?? ""] });
    expect(await state(late.id)).toBe("failed");
  });

  it("runs a child with onParentFailure ignore once all parents are final", async () => {
    const { queue, state, runAvailable } = setup();
    const bad = await queue.add({ type: "bad" });
    const slow = await queue.add({ type: "slow", delayMs: 100 });
    const cleanup = await queue.add({
      type: "cleanup",
      dependsOn: [bad.id, slow.id],
      onParentFailure: "ignore",
    });
    await runAvailable("failed");
    expect(await state(cleanup.id)).toBe("blocked");
    await sleep(120);
    await runAvailable();
    expect(await state(cleanup.id)).toBe("pending");
    expect((await queue.getJobOrThrow(cleanup.id)).onParentFailure).toBe("ignore");
  });

  it("treats a canceled parent like a failed one", async () => {
    const { queue, state } = setup();
    const parent = await queue.add({ type: "p" });
    const child = await queue.add({ type: "c", dependsOn: [parent.id] });
    const tolerant = await queue.add({ type: "c", dependsOn: [parent.id], onParentFailure: "ignore" });
    await queue.cancel(parent.id);
    expect(await queue.getJobOrThrow(child.id)).toMatchObject({ state: "failed", failedParent: parent.id });
    expect(await state(tolerant.id)).toBe("pending");
  });

  it("never loses the wake-up when a parent completes while its child is being submitted", async () => {
    const { queue, worker, state } = setup();
    for (let round = 0; round < 40; round++) {
      const parent = await queue.add({ type: "p" });
      const [lease] = await worker.take(1);
      if (!lease) throw new Error("no parent");
      const [, child] = await Promise.all([
        worker.settle([{ lease, kind: "completed" }], 0),
        queue.add({ type: "c", dependsOn: [parent.id] }),
      ]);
      expect(await state(child.id)).toBe("pending");
      await worker.settle(
        (await worker.take(10)).map((l) => ({ lease: l, kind: "completed" as const })),
        0,
      );
    }
  });

  it("keeps the child blocked while its parent's lease expires, then runs it after the retry succeeds", async () => {
    const { queue, worker, state } = setup({ defaultBackoff: { delayMs: 0, jitter: false } }, 100);
    const parent = await queue.add({ type: "p" });
    const child = await queue.add({ type: "c", dependsOn: [parent.id] });
    await worker.take(1); // and the worker dies
    await sleep(150);
    expect((await queue.maintain()).recovered).toBe(1);
    expect(await state(parent.id)).toBe("pending");
    expect(await state(child.id)).toBe("blocked");
    const [again] = await worker.take(1);
    expect(again).toMatchObject({ id: parent.id, attempt: 2 });
    if (!again) throw new Error("no parent");
    await worker.settle([{ lease: again, kind: "completed" }], 0);
    expect(await state(child.id)).toBe("pending");
  });

  it("keeps parents through deletion and retention until their children have run", async () => {
    const settings = { retention: { keepCompleted: 1, completedAgeMs: 1 } };
    const { queue, state, runAvailable } = setup(settings);
    const first = await queue.add({ type: "p" });
    const second = await queue.add({ type: "q", delayMs: 150 });
    const child = await queue.add({ type: "c", dependsOn: [first.id, second.id] });
    await runAvailable();
    await queue.addBulk([{ type: "p" }, { type: "p" }]);
    await runAvailable(); // pushes `first` past keepCompleted
    await sleep(20);
    await queue.maintain(); // and past its age
    expect(await state(first.id)).toBe("completed");
    await expect(queue.remove(first.id)).rejects.toBeInstanceOf(IllegalTransitionError);
    await sleep(150);
    await runAvailable();
    expect(await state(child.id)).toBe("pending");
    // Unblocked but not run yet: it will read `first`'s result, so `first` stays.
    await queue.maintain();
    await expect(queue.remove(first.id)).rejects.toBeInstanceOf(IllegalTransitionError);
    await runAvailable();
    expect(await state(child.id)).toBe("completed");
    await queue.remove(first.id);
    expect(await queue.getJob(first.id)).toBeNull();
  });

  it("re-arms failed dependents only when a parent is retried with cascade", async () => {
    const { queue, state, runAvailable } = setup();
    const [a = "", b = "", c = ""] = (
      await queue.addBulk([
        { type: "x", ref: "a" },
        { type: "x", ref: "b", dependsOn: ["a"] },
        { type: "x", ref: "c", dependsOn: ["b"] },
      ])
    ).map((job) => job.id);
    await runAvailable("failed");
    await expect(queue.retry(b)).rejects.toThrow(`its parent ${a} is failed`);
    expect(await queue.retry(a)).toBe("pending");
    expect([await state(b), await state(c)]).toEqual(["failed", "failed"]);
    await runAvailable("failed");
    expect(await queue.retry(a, { cascade: true })).toBe("pending");
    expect([await state(b), await state(c)]).toEqual(["blocked", "blocked"]);
    await runAvailable();
    await runAvailable();
    await runAvailable();
    expect([await state(a), await state(b), await state(c)]).toEqual(["completed", "completed", "completed"]);
  });

  it("unblocks a fan-out of 2,000 children and a fan-in of 1,000 parents", async () => {
    const { queue, worker } = setup();
    const parent = await queue.add({ type: "root" });
    for (let i = 0; i < 2; i++) {
      await queue.addBulk(Array.from({ length: 1_000 }, () => ({ type: "leaf", dependsOn: [parent.id] })));
    }
    const parents = await queue.addBulk(Array.from({ length: 1_000 }, () => ({ type: "many" })));
    const sink = await queue.add({ type: "sink", dependsOn: parents.map((job) => job.id) });
    expect((await queue.getJobOrThrow(parent.id)).dependentsCount).toBe(2_000);
    const [root] = await worker.take(1);
    if (!root) throw new Error("no root");
    await worker.settle([{ lease: root, kind: "completed" }], 0);
    await eventually(async () => {
      await queue.maintain();
      return (await queue.counts()).byType.leaf?.pending === 2_000;
    });
    const others = new Consumer({
      redis: redis(),
      queue: queue.name,
      workerId: "w2",
      types: ["many", "leaf"],
    });
    for (;;) {
      const jobs = await others.take(500);
      if (jobs.length === 0) break;
      await others.settle(
        jobs.map((lease) => ({ lease, kind: "completed" as const })),
        0,
      );
    }
    await eventually(async () => {
      await queue.maintain();
      return (await queue.getJobOrThrow(sink.id)).state === "pending";
    });
  });
});
