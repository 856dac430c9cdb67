/**
 * The type checker's cache on a real Redis. Where a queue lets unregistered types
 * in, that a type is unregistered is cached like a registration (a submission of it
 * costs no Redis read); where the queue refuses them, a refused type is read again
 * each time, so a type a worker advertises is accepted at once.
 */
import { advertiseTypes } from "@rqueue/shared";
import { afterAll, describe, expect, inject, it, vi } from "vitest";
import { useRedis } from "../../../shared/test/engine-fixture.js";
import { uniqueQueue } from "../testing/test-app.js";
import { TypeChecker } from "./type-checker.js";

const redisUrl = inject("redisUrl");

describe("type checker cache", () => {
  const redis = useRedis(redisUrl);
  afterAll(() => vi.restoreAllMocks());

  it("reads an unregistered type once per cache time where the queue lets it in", async () => {
    const client = redis();
    const reads = vi.spyOn(client, "hget");
    let now = 1_000_000;
    const checker = new TypeChecker(client, false, () => now);
    const queue = uniqueQueue("open");
    const job = { type: "never-registered", payload: {}, prefix: "" };
    expect(await checker.check(queue, [job])).toEqual([]);
    const first = reads.mock.calls.length;
    expect(first).toBeGreaterThan(0);
    for (let i = 0; i < 5; i++) expect(await checker.check(queue, [job, job])).toEqual([]);
    expect(reads.mock.calls.length).toBe(first);
    now += 10_000;
    expect(await checker.check(queue, [job])).toEqual([]);
    expect(reads.mock.calls.length).toBeGreaterThan(first);
  });

  it("accepts a refused type as soon as a worker advertises it where the queue requires registration", async () => {
    const client = redis();
    const checker = new TypeChecker(client, true);
    const queue = uniqueQueue("strict");
    const job = { type: "late", payload: { n: 1 }, prefix: "" };
    expect((await checker.check(queue, [job]))[0]?.message).toMatch(
      /no worker has registered job type "late"/,
    );
    await advertiseTypes(client, queue, "worker-a", 60_000, [
      {
        type: "late",
        schema: { type: "object", properties: { n: { type: "integer" } } },
        schemaVersion: "v1",
        defaults: {
          timeoutMs: 30_000,
          maxAttempts: 3,
          backoff: { strategy: "exponential", delayMs: 1_000, maxDelayMs: 60_000, jitter: true },
          maxAttemptsCap: null,
          concurrency: null,
          isolation: "main",
        },
      },
    ]);
    expect(await checker.check(queue, [job])).toEqual([]);
    expect(await checker.check(queue, [{ ...job, payload: { n: "x" } }])).toEqual([
      { path: "payload.n", message: "must be integer" },
    ]);
  });
});
