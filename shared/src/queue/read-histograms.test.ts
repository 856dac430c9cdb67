import { describe, expect, it } from "vitest";
import { targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { Consumer } from "../consumer/consumer.js";
import { queueKeys } from "../keys.js";
import { Queue } from "./queue.js";
import { decodeHistograms, readQueueHistograms } from "./read-histograms.js";

describe.each(targets)("lifetime latency histograms (%s)", (_name, url) => {
  const redis = useRedis(url);

  it("counts every start and finish per type at once, with the sum of the durations", async () => {
    const name = uniqueQueue("hist");
    const queue = new Queue({ redis: redis(), name });
    await queue.addBulk([{ type: "a" }, { type: "a" }, { type: "b.v2", maxAttempts: 1 }]);
    const consumer = new Consumer({ redis: redis(), queue: name, workerId: "w" });
    const { taken } = await consumer.settle([], 3);
    const started = await readQueueHistograms(redis(), name);
    expect(started.map((t) => [t.type, t.wait.count, t.run.count])).toEqual([
      ["a", 2, 0],
      ["b.v2", 1, 0],
    ]);
    await consumer.settle(
      taken.map((lease) =>
        lease.type === "a"
          ? { lease, kind: "completed" as const }
          : { lease, kind: "failed" as const, error: new Error("x") },
      ),
      0,
    );
    await consumer.close();
    const finished = await readQueueHistograms(redis(), name);
    const a = finished.find((t) => t.type === "a");
    expect(a?.run.count).toBe(2);
    expect([...(a?.run.buckets.values() ?? [])].reduce((sum, n) => sum + n, 0)).toBe(2);
    expect(a?.run.sumMs).toBeGreaterThanOrEqual(0);
    expect(finished.find((t) => t.type === "b.v2")?.run.count).toBe(1);
    // The hash lives under the queue's hash tag and never expires.
    expect(await redis().ttl(queueKeys(name).histograms)).toBe(-1);
  });

  it("gives the per-minute throughput and latency keys an hour's TTL, also when a later call only adds to them", async () => {
    const name = uniqueQueue("minute-ttl");
    const queue = new Queue({ redis: redis(), name });
    const consumer = new Consumer({ redis: redis(), queue: name, workerId: "w" });
    const keys = queueKeys(name);
    let checked = 0;
    // Two rounds in one second and one minute (unless the clock turns between them):
    // the second round's HINCRBYs all find their fields, and write no EXPIRE.
    for (let round = 0; round < 2; round++) {
      await queue.addBulk([{ type: "a" }, { type: "a" }]);
      const { taken } = await consumer.settle([], 2);
      await consumer.settle(
        taken.map((lease) => ({ lease, kind: "completed" as const })),
        0,
      );
      const [seconds] = await redis().time();
      const minute = Math.floor(Number(seconds) / 60);
      for (const key of [keys.throughput(minute), keys.latency(minute)]) {
        if ((await redis().exists(key)) === 1) {
          checked++;
          const ttl = await redis().ttl(key);
          expect(ttl).toBeGreaterThan(3500);
          expect(ttl).toBeLessThanOrEqual(3600);
        }
      }
    }
    // Both keys of at least one round (a minute turning between a settle and TIME skips one).
    expect(checked).toBeGreaterThanOrEqual(2);
  });

  it("decodes bucket and sum fields and skips unknown ones", () => {
    const decoded = decodeHistograms({
      "w0:t": "2",
      "w8:t": "1",
      "ws:t": "4",
      "r4:t": "3",
      "rs:t": "3",
      x: "9",
    });
    expect(decoded).toHaveLength(1);
    expect(decoded[0]?.wait).toEqual({
      buckets: new Map([
        [0, 2],
        [3, 1],
      ]),
      count: 3,
      sumMs: 4,
    });
    expect(decoded[0]?.run).toEqual({ buckets: new Map([[1, 3]]), count: 3, sumMs: 3 });
  });
});
