import { describe, expect, it } from "vitest";
import { targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { ValidationError } from "../errors.js";
import { IdempotencyConflictError, jobFingerprint } from "./idempotency.js";
import { Queue } from "./queue.js";

describe("jobFingerprint", () => {
  it("is the same for the same fields in any key order, different for any other field", () => {
    const base = { type: "t", payload: { a: 1, b: { c: [1, 2] } }, priority: 3 };
    expect(jobFingerprint({ priority: 3, payload: { b: { c: [1, 2] }, a: 1 }, type: "t" })).toBe(
      jobFingerprint(base),
    );
    expect(jobFingerprint({ ...base, idempotencyKey: "k" })).toBe(jobFingerprint(base));
    expect(jobFingerprint(base)).toMatch(/^[0-9a-f]{32}$/);
    for (const other of [
      { ...base, priority: 4 },
      { ...base, payload: { a: 1 } },
      { ...base, delayMs: 5 },
    ]) {
      expect(jobFingerprint(other)).not.toBe(jobFingerprint(base));
    }
    const blob = (key: string) => ({ $rqBlob: { key, bytes: 10, sha256: "ab".repeat(32) } });
    expect(jobFingerprint({ type: "t", payload: blob("2026/a.json") })).toBe(
      jobFingerprint({ type: "t", payload: blob("2026/b.json") }),
    );
  });
});

describe.each(targets)("reusing an idempotency key (%s)", (_name, url) => {
  const redis = useRedis(url);

  it("with another body is refused with both fingerprints, and writes nothing", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("idem") });
    const first = await queue.add({ type: "charge", payload: { cents: 100 }, idempotencyKey: "order-1" });
    const error = await queue
      .add({ type: "charge", payload: { cents: 999 }, idempotencyKey: "order-1" })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(IdempotencyConflictError);
    expect(error).toMatchObject({
      code: "idempotency_conflict",
      idempotencyKey: "order-1",
      existingJobId: first.id,
      existingFingerprint: jobFingerprint({ type: "charge", payload: { cents: 100 } }),
      fingerprint: jobFingerprint({ type: "charge", payload: { cents: 999 } }),
    });
    expect((error as Error).message).toContain(first.id);

    // A batch holding the conflict is refused whole: its other job is not written either.
    const batch = await queue
      .addBulk([
        { type: "charge", payload: { cents: 5 } },
        { type: "charge", payload: { cents: 1 }, idempotencyKey: "order-1" },
      ])
      .catch((caught: unknown) => caught);
    expect(batch).toBeInstanceOf(IdempotencyConflictError);
    expect((await queue.counts()).total.pending).toBe(1);
    expect(await queue.add({ type: "charge", payload: { cents: 100 }, idempotencyKey: "order-1" })).toEqual({
      id: first.id,
      created: false,
    });
  });

  it("twice in one batch with different bodies is a validation error naming both", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("idem") });
    const error = await queue
      .addBulk([
        { type: "a", idempotencyKey: "same" },
        { type: "b" },
        { type: "a", payload: 2, idempotencyKey: "same" },
      ])
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      { path: "jobs.2.idempotencyKey", message: "is also used by jobs.0 with a different body" },
    ]);
    expect((await queue.counts()).total.pending).toBe(0);
  });
});
