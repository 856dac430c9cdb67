import { Consumer, Queue } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp, uniqueQueue } from "../../testing/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
});
afterAll(() => t.close());

async function deadLetter(queue: string, types: string[]): Promise<void> {
  await new Queue({ redis: t.redis, name: queue }).addBulk(types.map((type) => ({ type, maxAttempts: 1 })));
  const consumer = new Consumer({ redis: t.redis, queue, workerId: "w" });
  const { taken } = await consumer.settle([], types.length);
  await consumer.settle(
    taken.map((lease) => ({ lease, kind: "failed" as const, error: new Error("nope") })),
    0,
  );
  await consumer.close();
}

const failedCount = async (queue: string) =>
  ((await (await t.request(`/v1/jobs?queue=${queue}&state=failed`)).json()) as { items: unknown[] }).items
    .length;

describe("dead letter", () => {
  it("retries failed jobs of one type, then of every type, answering how many", async () => {
    const queue = uniqueQueue("dlq");
    await deadLetter(queue, ["a", "a", "b"]);
    const one = await t.request("/v1/dead-letter/retry", { method: "POST", json: { queue, type: "a" } });
    expect(one.status).toBe(200);
    expect(await one.json()).toEqual({ queue, type: "a", retried: 2 });
    const rest = await t.request("/v1/dead-letter/retry", { method: "POST", json: { queue } });
    expect(await rest.json()).toEqual({ queue, type: null, retried: 1 });
    expect(await failedCount(queue)).toBe(0);
  });

  it("finishes a bulk retry that takes longer than the request deadline", async () => {
    // Each chunk must fit the deadline even on a loaded 2-core machine (100 ms did not,
    // under a CPU hog); the whole retry takes several times longer.
    const slow = await createTestApp(inject("redisUrl"), { RQ_REDIS_TIMEOUT_MS: "300" });
    try {
      const queue = uniqueQueue("dlq");
      for (let i = 0; i < 40; i++)
        await deadLetter(
          queue,
          Array.from({ length: 1_000 }, () => "a"),
        );
      const started = Date.now();
      const res = await slow.request("/v1/dead-letter/retry", { method: "POST", json: { queue } });
      expect(await res.json()).toEqual({ queue, type: null, retried: 40_000 });
      // The work took longer than the 300 ms deadline, which would have answered 503.
      expect(Date.now() - started).toBeGreaterThan(300);
    } finally {
      await slow.close();
    }
  });

  it("deletes failed jobs, answering how many", async () => {
    const queue = uniqueQueue("dlq");
    await deadLetter(queue, ["a", "b"]);
    const res = await t.request(`/v1/dead-letter?queue=${queue}`, { method: "DELETE" });
    expect(await res.json()).toEqual({ queue, type: null, deleted: 2 });
    expect(await failedCount(queue)).toBe(0);
  });

  it("404 for an unknown queue, 422 without a queue or with unknown fields", async () => {
    const unknown = await t.request("/v1/dead-letter/retry", {
      method: "POST",
      json: { queue: uniqueQueue("none") },
    });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("queue_not_found");
    expect((await t.request("/v1/dead-letter/retry", { method: "POST", json: {} })).status).toBe(422);
    expect(
      (await t.request("/v1/dead-letter/retry", { method: "POST", json: { queue: "x", all: true } })).status,
    ).toBe(422);
    expect((await t.request("/v1/dead-letter", { method: "DELETE" })).status).toBe(422);
  });
});
