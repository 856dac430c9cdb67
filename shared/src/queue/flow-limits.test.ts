/**
 * Rate limits and global concurrency: held across every consumer of a queue, a
 * limited job stays pending without spending an attempt, a limited take tells the
 * consumer when to look again, and a handler's "rate limited upstream" delays the
 * job (and its scope) without counting an attempt.
 */
import { describe, expect, it } from "vitest";
import { eventually, sleep, targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { ConsumeLoop } from "../consumer/consume-loop.js";
import { Consumer } from "../consumer/consumer.js";
import { RateLimitedError } from "../consumer/leased-job.js";
import { Queue } from "./queue.js";

interface Span {
  id: string;
  group: string;
  start: number;
  end: number;
}

/** Runs `loops` consume loops on their own connections until `done`; returns each run's span. */
async function runLoops(
  url: string,
  queue: string,
  loops: number,
  done: (spans: Span[]) => boolean,
  options: { holdMs?: number; concurrency?: number } = {},
) {
  const { createRedis } = await import("../redis/connection.js");
  const spans: Span[] = [];
  const connections = Array.from({ length: loops }, () => createRedis(url));
  const running = connections.map((redis, i) => {
    const loop = new ConsumeLoop({
      consumer: new Consumer({ redis, queue, workerId: `w-${i}` }),
      concurrency: options.concurrency ?? 4,
      maintainEveryMs: 200,
      handler: async (job) => {
        const start = performance.now();
        await sleep(options.holdMs ?? 0);
        spans.push({
          id: job.id,
          group: (job.payload as { g?: string }).g ?? "",
          start,
          end: performance.now(),
        });
        return null;
      },
    });
    loop.start();
    return loop;
  });
  try {
    await eventually(() => done(spans), 60_000, 10);
  } finally {
    await Promise.all(running.map((loop) => loop.stop(5_000)));
    await Promise.all(connections.map((redis) => redis.quit()));
  }
  return spans;
}

/** The most spans open at one instant. */
function peakOverlap(spans: Span[]): number {
  const edges = spans.flatMap((span) => [
    [span.start, 1],
    [span.end, -1],
  ]);
  edges.sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number));
  let open = 0;
  let peak = 0;
  for (const [, delta] of edges) {
    open += delta as number;
    peak = Math.max(peak, open);
  }
  return peak;
}

describe.each(targets)("flow limits (%s)", (_name, url) => {
  const redis = useRedis(url);

  it("never runs more jobs of a type at once than its global concurrency, across consumers", async () => {
    const name = uniqueQueue("conc");
    const queue = new Queue({ redis: redis(), name });
    await queue.setFlowLimit({ scope: "type", type: "slow" }, { concurrency: 3 });
    await queue.addBulk(Array.from({ length: 60 }, () => ({ type: "slow", payload: {} })));
    const spans = await runLoops(url, name, 3, (done) => done.length === 60, { holdMs: 15, concurrency: 4 });
    expect(peakOverlap(spans)).toBeLessThanOrEqual(3);
    // The limit was the bottleneck, not idle consumers: three ran together at some point.
    expect(peakOverlap(spans)).toBe(3);
  }, 90_000);

  it("limits each group on its own, while other groups go on", async () => {
    const name = uniqueQueue("group-conc");
    const queue = new Queue({ redis: redis(), name });
    await queue.setFlowLimit({ scope: "group", type: "t" }, { concurrency: 1 });
    await queue.addBulk(
      Array.from({ length: 40 }, (_, i) => ({ type: "t", payload: { g: `g${i % 4}` }, groupFrom: "/g" })),
    );
    const spans = await runLoops(url, name, 2, (done) => done.length === 40, { holdMs: 10, concurrency: 8 });
    for (const group of ["g0", "g1", "g2", "g3"]) {
      expect(peakOverlap(spans.filter((span) => span.group === group))).toBe(1);
    }
    expect(peakOverlap(spans)).toBeGreaterThan(1);
    const state = await queue.flowState();
    expect(state.types.find((entry) => entry.type === "t")).toMatchObject({
      running: 0,
      groupsWaitingForSlot: 0,
    });
  }, 90_000);

  it("holds a rate across consumers within 5% of it, and tells an idle consumer when to look again", async () => {
    const name = uniqueQueue("rate");
    const queue = new Queue({ redis: redis(), name });
    // A burst of 5 absorbs a consumer scheduled up to 400 ms late (a busy CI machine)
    // without losing slots; it also bounds how far starts can run ahead of the pace.
    const burst = 5;
    await queue.setFlowLimit(
      { scope: "type", type: "paced" },
      { rate: { limit: 10, windowMs: 1_000, burst } },
    );
    await queue.addBulk(Array.from({ length: 45 }, () => ({ type: "paced", payload: {} })));
    const probe = new Consumer({ redis: redis(), queue: name, workerId: "probe" });
    const opening = await probe.take(20);
    expect(opening).toHaveLength(burst);
    const held = await probe.settle(
      opening.map((lease) => ({ lease, kind: "completed" as const })),
      10,
    );
    expect(held.taken).toHaveLength(0);
    expect(held.nextDueInMs).toBeGreaterThan(0);
    expect(held.nextDueInMs).toBeLessThanOrEqual(100);
    // A limited job waits as pending and has spent nothing.
    const waiting = (await queue.list({ state: "pending" })).items;
    expect(waiting).toHaveLength(40);
    expect(waiting.every((job) => job.attempts === 0)).toBe(true);

    const spans = await runLoops(url, name, 3, (done) => done.length === 40, { concurrency: 4 });
    const starts = spans.map((span) => span.start).sort((a, b) => a - b);
    const span = (starts.at(-1) as number) - (starts[0] as number);
    const rate = ((starts.length - 1) / span) * 1_000;
    expect(rate).toBeGreaterThan(10 * 0.95);
    // Ahead of the pace by at most the burst: slots missed while a consumer was late.
    expect(rate).toBeLessThanOrEqual(((starts.length - 1) / (starts.length - burst)) * 10 * 1.05);
  }, 90_000);

  it("admits 50 ms of a rate at once by default, one at a time up to 20 a second", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("burst") });
    await queue.setFlowLimit({ scope: "type", type: "fast" }, { rate: { limit: 2_000, windowMs: 1_000 } });
    await queue.setFlowLimit({ scope: "type", type: "slow" }, { rate: { limit: 20, windowMs: 1_000 } });
    await queue.setFlowLimit({ scope: "type", type: "tiny" }, { rate: { limit: 3, windowMs: 1 } });
    const bursts = Object.fromEntries(
      (await queue.flowState()).rules.map((entry) => [
        entry.scope.scope === "type" ? entry.scope.type : "",
        entry.rule.rate?.burst,
      ]),
    );
    expect(bursts).toEqual({ fast: 100, slow: 1, tiny: 3 });
  });

  it("spends no rate on a job take refuses (expired), for the type and for its group", async () => {
    const name = uniqueQueue("rate-refused");
    const queue = new Queue({ redis: redis(), name });
    const rule = { rate: { limit: 2, windowMs: 60_000, burst: 2 } };
    await queue.setFlowLimit({ scope: "type", type: "t" }, rule);
    await queue.setFlowLimit({ scope: "group", type: "g" }, rule);
    const [expiring] = await queue.addBulk([
      { type: "t", payload: {}, expireAfterMs: 20 },
      { type: "g", payload: {}, group: "a", expireAfterMs: 20 },
    ]);
    const expiresAt = Date.parse((await queue.getJobOrThrow(expiring?.id as string)).expiresAt as string);
    await eventually(async () => {
      const [seconds = 0, micros = 0] = (await redis().time()).map(Number);
      return seconds * 1_000 + micros / 1_000 > expiresAt + 25;
    });
    await queue.addBulk([
      { type: "t", payload: {} },
      { type: "g", payload: {}, group: "a" },
    ]);
    const consumer = new Consumer({ redis: redis(), queue: name, workerId: "w-refused" });
    // The expired jobs are canceled at take; each later job takes one token of two.
    expect((await consumer.take(10)).map((job) => job.type).sort()).toEqual(["g", "t"]);
    await queue.addBulk([
      { type: "t", payload: {} },
      { type: "g", payload: {}, group: "a" },
    ]);
    expect((await consumer.take(10)).map((job) => job.type).sort()).toEqual(["g", "t"]);
  });

  it("applies a queue-wide rate to every type together", async () => {
    const name = uniqueQueue("queue-rate");
    const queue = new Queue({ redis: redis(), name });
    await queue.setFlowLimit({ scope: "queue" }, { rate: { limit: 5, windowMs: 60_000, burst: 5 } });
    await queue.addBulk([
      ...Array.from({ length: 4 }, () => ({ type: "a", payload: {} })),
      ...Array.from({ length: 4 }, () => ({ type: "b", payload: {} })),
    ]);
    const consumer = new Consumer({ redis: redis(), queue: name, workerId: "w" });
    expect(await consumer.take(20)).toHaveLength(5);
    expect(await consumer.take(20)).toHaveLength(0);
    const state = await queue.flowState();
    expect(state.rules).toEqual([
      { scope: { scope: "queue" }, rule: { rate: { limit: 5, windowMs: 60_000, burst: 5 } } },
    ]);
    expect(state.queue.allowedNow).toBe(0);
    expect(state.queue.nextAt).not.toBeNull();
    // Removing the rule frees the queue at once.
    await queue.setFlowLimit({ scope: "queue" }, null);
    expect(await consumer.take(20)).toHaveLength(3);
  });

  it("delays a job limited upstream without spending its attempt, and holds its whole type", async () => {
    const name = uniqueQueue("upstream");
    const queue = new Queue({ redis: redis(), name });
    const [limited, other] = await queue.addBulk([
      { type: "api", payload: {}, maxAttempts: 1 },
      { type: "api", payload: {} },
    ]);
    const consumer = new Consumer({ redis: redis(), queue: name, workerId: "w-up" });
    const [job] = await consumer.take(1);
    expect(job?.id).toBe(limited?.id);
    const after = await consumer.settle(
      [
        {
          lease: job as NonNullable<typeof job>,
          kind: "failed",
          error: new RateLimitedError(400, { scope: "type" }),
        },
      ],
      5,
    );
    expect(after.rejected).toEqual([null]);
    // The other job of the type is held too: nothing is taken, and the consumer learns when to look.
    expect(after.taken).toHaveLength(0);
    expect(after.nextDueInMs).toBeGreaterThan(0);
    const waiting = await queue.getJobOrThrow(limited?.id as string);
    expect(waiting).toMatchObject({ state: "scheduled", attempts: 0 });
    // Once the hold is over both run, and the limited job is still on its first attempt.
    const retried: { id: string; attempt: number }[] = [];
    await eventually(async () => {
      retried.push(...(await consumer.take(5)));
      return retried.length === 2;
    }, 10_000);
    expect(retried.map((entry) => entry.id).sort()).toEqual([limited?.id, other?.id].sort());
    expect(retried.find((entry) => entry.id === limited?.id)?.attempt).toBe(1);
    const stats = await queue.stats();
    expect(stats.counters).toMatchObject({ failed: 0, limited: 1 });
  });

  it("holds only the limited job's group when the upstream limit is per group", async () => {
    const name = uniqueQueue("upstream-group");
    const queue = new Queue({ redis: redis(), name });
    await queue.addBulk([
      { type: "api", payload: { g: "a" }, groupFrom: "/g" },
      { type: "api", payload: { g: "a" }, groupFrom: "/g" },
      { type: "api", payload: { g: "b" }, groupFrom: "/g" },
    ]);
    const consumer = new Consumer({ redis: redis(), queue: name, workerId: "w-upg" });
    const [job] = await consumer.take(1);
    expect((job?.payload as { g: string } | undefined)?.g).toBe("a");
    const after = await consumer.settle(
      [
        {
          lease: job as NonNullable<typeof job>,
          kind: "failed",
          error: new RateLimitedError(60_000, { scope: "group" }),
        },
      ],
      5,
    );
    // Group b goes on; group a's other job waits with it.
    expect(after.taken.map((entry) => (entry.payload as { g: string }).g)).toEqual(["b"]);
    expect(await consumer.take(5)).toEqual([]);
    const state = await queue.flowState();
    expect(state.types.find((entry) => entry.type === "api")).toMatchObject({ groupsParked: 1 });
  });

  it("refuses bad rules with the field named, and writes nothing", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("bad-rule") });
    await expect(queue.setFlowLimit({ scope: "type", type: "t" }, {})).rejects.toMatchObject({
      issues: [{ path: "rule", message: "give rate, concurrency or both" }],
    });
    await expect(
      queue.setFlowLimit({ scope: "type", type: "t" }, { rate: { limit: 0, windowMs: 1_000 } }),
    ).rejects.toMatchObject({ issues: [{ path: "rule.rate.limit" }] });
    await expect(
      queue.setFlowLimit({ scope: "type", type: "Bad Type" }, { concurrency: 1 }),
    ).rejects.toMatchObject({
      issues: [{ path: "scope.type" }],
    });
    await expect(queue.setGroupWeight("t", "g", 0)).rejects.toMatchObject({ issues: [{ path: "weight" }] });
    expect((await queue.flowState()).rules).toEqual([]);
  });
});
