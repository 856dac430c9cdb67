import { describe, expect, it } from "vitest";
import { targets, uniqueQueue, useRedis } from "../test/engine-fixture.js";
import { Consumer } from "./consumer/consumer.js";
import { Queue } from "./queue/queue.js";
import { decodeEventSeqs, decodeQueueEvent } from "./queue-events.js";

describe.each(targets)("events stream (%s)", (_name, url) => {
  const redis = useRedis(url);

  it("records state changes, batched per script call, with progress and reasons", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("ev") });
    const worker = new Consumer({ redis: redis(), queue: queue.name, workerId: "w1" });
    await queue.addBulk([{ type: "a" }, { type: "a" }, { type: "a", maxAttempts: 1 }]);
    const [first, second, third] = await worker.take(3);
    if (!first || !second || !third) throw new Error("jobs not taken");
    await worker.progress(first, 40, { step: 1 });
    await worker.settle(
      [
        { lease: first, kind: "completed" },
        { lease: second, kind: "completed" },
        { lease: third, kind: "failed", error: new Error("x") },
      ],
      0,
    );
    const entries = await redis().xrange(queue.context.keys.events, "-", "+");
    const events = entries.map(([, fields]) => decodeQueueEvent(fields));
    expect(events.map((entry) => [entry.event, entry.seqs])).toEqual([
      ["pending", ["1", "2", "3"]],
      ["processing", ["1", "2", "3"]],
      ["progress", ["1"]],
      ["failed", ["3"]],
      ["completed", ["1", "2"]],
    ]);
    // A run of consecutive seqs is stored as one range.
    expect(entries[0]?.[1]).toEqual(["e", "pending", "j", "1-3"]);
    expect(events[2]?.detail).toEqual({ progress: "40", detail: '{"step":1}' });
    expect(events[3]?.detail).toEqual({ reason: "error" });
  });
});

describe("event seqs", () => {
  it("expands runs and keeps plain lists from before runs as they are", () => {
    expect(decodeEventSeqs("1-4,7,9-11")).toEqual(["1", "2", "3", "4", "7", "9", "10", "11"]);
    expect(decodeEventSeqs("5,6")).toEqual(["5", "6"]);
    expect(decodeEventSeqs("12")).toEqual(["12"]);
  });
});
