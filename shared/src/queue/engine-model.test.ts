/**
 * Model-based randomized test of the engine: random sequences of every operation
 * a producer, a worker or an operator can do (expiry, debounce and throttle included), against a real Redis (standalone
 * and Cluster), with the queue's invariants checked from Redis after every step
 * (see test/queue-invariants.ts) and a small model of what was acknowledged.
 *
 * Seeded and reproducible: a failure prints the seed and the shrunk command list;
 * FUZZ_SEED=<seed> replays it. CI runs a short version; `make fuzz` a long one
 * (FUZZ_RUNS, FUZZ_STEPS).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sleep, targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { brokenInvariants, snapshotQueue } from "../../test/queue-invariants.js";
import { Consumer } from "../consumer/consumer.js";
import type { LeasedJob } from "../consumer/leased-job.js";
import { RQueueError } from "../errors.js";
import type { RedisClient } from "../redis/connection.js";
import { Queue } from "./queue.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 25);
const STEPS = Number(process.env.FUZZ_STEPS ?? 40);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

const SETTINGS = {
  retention: { keepCompleted: 4, keepFailed: 6, completedAgeMs: 400, failedAgeMs: 60_000 },
  defaultBackoff: { delayMs: 5, jitter: false },
  defaultMaxAttempts: 2,
};

interface Model {
  ids: string[];
  leases: LeasedJob[];
  /** Jobs whose completion Redis acknowledged, with how many times. */
  completions: Map<string, number>;
}

interface Real {
  redis: RedisClient;
  queue: Queue;
  consumers: Map<string, Consumer>;
}

// Text with every kind of Unicode, lone surrogates and emoji at cut points included.
const tricky = fc.oneof(
  fc.string({ unit: "binary", maxLength: 12 }),
  fc
    .array(fc.constantFrom("a", "é", "😀", "\ud83d", "\ude00", "\u0000", "\u2028", '"', "\\"), {
      maxLength: 8,
    })
    .map((parts) => parts.join("")),
  fc.nat(3).map((extra) => `${"x".repeat(1_997 + extra)}😀tail`),
);

const pick = <T>(items: readonly T[], index: number): T | undefined =>
  items.length === 0 ? undefined : items[index % items.length];

/** Domain errors (illegal transition, unknown job, bad input) are answers, not failures. */
async function answered(action: () => Promise<unknown>): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (!(error instanceof RQueueError)) throw error;
  }
}

function consumerFor(real: Real, types: readonly string[] | undefined, leaseMs: number): Consumer {
  const key = `${types?.join(",") ?? "*"}/${leaseMs}`;
  let consumer = real.consumers.get(key);
  if (!consumer) {
    consumer = new Consumer({
      redis: real.redis,
      queue: real.queue.name,
      workerId: `fuzz-${key}`,
      leaseMs,
      settings: SETTINGS,
      ...(types ? { types } : {}),
    });
    real.consumers.set(key, consumer);
  }
  return consumer;
}

type Step = { name: string; run: (model: Model, real: Real) => Promise<void> };

// fast-check prints a counterexample with its steps' names.
const step = (name: string, run: Step["run"]): Step =>
  Object.assign({ name, run }, { [fc.toStringMethod]: () => name });

const steps: fc.Arbitrary<Step>[] = [
  // Expiring, debounced and throttled jobs: replaced, dropped, expired while waiting.
  fc
    .record({
      type: fc.constantFrom("a", "b"),
      delayMs: fc.constantFrom(0, 0, 15),
      expireAfterMs: fc.option(fc.constantFrom(20, 60_000), { nil: undefined }),
      key: fc.option(fc.constantFrom("d1", "d2"), { nil: undefined }),
      mode: fc.constantFrom("debounce", "throttle") as fc.Arbitrary<"debounce" | "throttle">,
      windowMs: fc.constantFrom(10, 60_000),
      payload: tricky,
    })
    .map((input) =>
      step(`add timed ${JSON.stringify(input).slice(0, 80)}`, async (model, real) => {
        try {
          const { id } = await real.queue.add({
            type: input.type,
            delayMs: input.delayMs,
            payload: { text: input.payload },
            ...(input.expireAfterMs ? { expireAfterMs: input.expireAfterMs } : {}),
            ...(input.key
              ? { debounce: { key: input.key, windowMs: input.windowMs, mode: input.mode } }
              : {}),
          });
          if (!model.ids.includes(id)) model.ids.push(id);
        } catch (error) {
          if (!(error instanceof RQueueError)) throw error;
        }
      }),
    ),
  fc
    .record({
      type: fc.constantFrom("a", "b"),
      priority: fc.integer({ min: 1, max: 10 }),
      delayMs: fc.constantFrom(0, 0, 0, 15),
      idem: fc.option(fc.constantFrom("k1", "k2"), { nil: undefined }),
      group: fc.option(fc.constantFrom("g1", "g:2"), { nil: undefined }),
      parents: fc.array(fc.nat(), { maxLength: 2 }),
      ignore: fc.boolean(),
      payload: tricky,
    })
    .map((input) =>
      step(`add ${JSON.stringify(input).slice(0, 80)}`, async (model, real) => {
        const dependsOn = [...new Set(input.parents.flatMap((i) => pick(model.ids, i) ?? []))];
        try {
          const { id } = await real.queue.add({
            type: input.type,
            priority: input.priority,
            delayMs: input.delayMs,
            payload: { text: input.payload },
            ...(input.idem ? { idempotencyKey: input.idem } : {}),
            ...(input.group ? { group: input.group } : {}),
            ...(dependsOn.length > 0 ? { dependsOn, onParentFailure: input.ignore ? "ignore" : "fail" } : {}),
          });
          if (!model.ids.includes(id)) model.ids.push(id);
        } catch (error) {
          // Refused input (a lone surrogate, a parent trimmed meanwhile) writes nothing.
          if (!(error instanceof RQueueError)) throw error;
        }
      }),
    ),
  fc
    .record({
      n: fc.integer({ min: 1, max: 4 }),
      leaseMs: fc.constantFrom(30_000, 30_000, 1),
      types: fc.constantFrom(undefined, ["a"], ["b", "b"]),
    })
    .map((input) =>
      step(`take ${JSON.stringify(input)}`, async (model, real) => {
        const taken = await consumerFor(real, input.types, input.leaseMs).take(input.n);
        for (const job of taken) {
          // A job whose completion was acknowledged never runs again.
          expect(model.completions.has(job.id), `completed job ${job.id} was leased again`).toBe(false);
          model.leases.push(job);
        }
      }),
    ),
  fc.record({ lease: fc.nat(), result: fc.option(tricky, { nil: undefined }) }).map((input) =>
    step(`complete ${input.lease}`, async (model, real) => {
      const lease = model.leases.splice(input.lease % Math.max(model.leases.length, 1), 1)[0];
      if (!lease) return;
      const { rejected } = await consumerFor(real, undefined, 30_000).settle(
        [
          {
            lease,
            kind: "completed",
            result: input.result === undefined ? undefined : { text: input.result },
          },
        ],
        0,
      );
      if (rejected[0] === null) {
        const count = (model.completions.get(lease.id) ?? 0) + 1;
        expect(count, `job ${lease.id} completed twice`).toBe(1);
        model.completions.set(lease.id, count);
      }
    }),
  ),
  fc.record({ lease: fc.nat(), message: tricky, unrecoverable: fc.boolean() }).map((input) =>
    step(`fail ${input.lease} unrecoverable=${input.unrecoverable}`, async (model, real) => {
      const lease = model.leases.splice(input.lease % Math.max(model.leases.length, 1), 1)[0];
      if (!lease) return;
      await consumerFor(real, undefined, 30_000).settle(
        [{ lease, kind: "failed", error: new Error(input.message), unrecoverable: input.unrecoverable }],
        0,
      );
    }),
  ),
  fc.nat().map((index) =>
    step(`release ${index}`, async (model, real) => {
      const lease = model.leases.splice(index % Math.max(model.leases.length, 1), 1)[0];
      if (lease) await consumerFor(real, undefined, 30_000).release([lease]);
    }),
  ),
  fc.constant(
    step("extend leases", async (model, real) => {
      const statuses = await consumerFor(real, undefined, 30_000).extendLeases(model.leases);
      model.leases = model.leases.filter((_, i) => statuses[i]?.ok);
    }),
  ),
  fc.nat().map((index) =>
    step(`cancel ${index}`, async (model, real) => {
      const id = pick(model.ids, index);
      if (id) await answered(() => real.queue.cancel(id));
    }),
  ),
  fc.record({ index: fc.nat(), cascade: fc.boolean() }).map((input) =>
    step(`retry ${JSON.stringify(input)}`, async (model, real) => {
      const id = pick(model.ids, input.index);
      if (id) await answered(() => real.queue.retry(id, { cascade: input.cascade }));
    }),
  ),
  fc.nat().map((index) =>
    step(`remove ${index}`, async (model, real) => {
      const id = pick(model.ids, index);
      if (id) await answered(() => real.queue.remove(id));
    }),
  ),
  fc.constantFrom("retry", "purge").map((action) =>
    step(`${action} dead letters`, async (_model, real) => {
      if (action === "retry") await real.queue.retryDeadLetter();
      else await real.queue.purgeDeadLetter();
    }),
  ),
  fc.boolean().map((pause) =>
    step(pause ? "pause" : "resume", async (_model, real) => {
      if (pause) await real.queue.pause();
      else await real.queue.resume();
    }),
  ),
  fc.constant(step("maintain", async (_model, real) => void (await real.queue.maintain()))),
  fc.constantFrom(2, 20).map((ms) => step(`wait ${ms} ms`, () => sleep(ms))),
];

describe.each(targets)("engine model (%s)", (_name, url) => {
  const redis = useRedis(url);

  it("keeps every invariant under random operations", { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(...steps), { minLength: Math.ceil(STEPS / 2), maxLength: STEPS, size: "max" }),
        async (program) => {
          const real: Real = {
            redis: redis(),
            queue: new Queue({ redis: redis(), name: uniqueQueue("fuzz"), settings: SETTINGS }),
            consumers: new Map(),
          };
          const model: Model = { ids: [], leases: [], completions: new Map() };
          const done: string[] = [];
          for (const { name, run } of program) {
            await run(model, real);
            done.push(name);
            const broken = brokenInvariants(await snapshotQueue(real.redis, real.queue.name));
            expect(broken.join("\n"), `after: ${done.join(" → ")}`).toBe("");
          }
        },
      ),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: false, verbose: 1 },
    );
  });
});
