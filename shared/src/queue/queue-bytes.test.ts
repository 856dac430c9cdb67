/**
 * The queue's accounted bytes and its memory budget (maxQueueBytes), on standalone
 * and Cluster: the counter rises by JOB_OVERHEAD_BYTES plus the payload's bytes per
 * job added, follows a debounce's replaced payload, returns to 0 whichever way jobs
 * are deleted (retention by count and by age, remove, purge, expiry then retention),
 * and a batch the budget cannot take is refused whole with nothing written.
 */
import { describe, expect, it } from "vitest";
import { eventually, targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { Consumer } from "../consumer/consumer.js";
import { QueueFullError } from "../errors.js";
import type { RedisClient } from "../redis/connection.js";
import type { JsonValue } from "../schemas/json-value.js";
import { JOB_OVERHEAD_BYTES, type QueueSettingsInput } from "../settings.js";
import { Queue } from "./queue.js";

/** What the budget counts for one job: the overhead plus the payload's JSON in UTF-8 bytes. */
const jobBytes = (payload: JsonValue) => JOB_OVERHEAD_BYTES + Buffer.byteLength(JSON.stringify(payload));

// Every key of the queue with its value, read in one script on the node holding the queue's slot.
const DUMP = `
local out, cursor = {}, '0'
repeat
  local reply = redis.call('SCAN', cursor, 'MATCH', ARGV[1] .. '*', 'COUNT', 1000)
  cursor = reply[1]
  for _, key in ipairs(reply[2]) do
    local kind = redis.call('TYPE', key).ok
    local value
    if kind == 'hash' then value = redis.call('HGETALL', key)
    elseif kind == 'zset' then value = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
    elseif kind == 'set' then value = redis.call('SMEMBERS', key)
    elseif kind == 'list' then value = redis.call('LRANGE', key, 0, -1)
    elseif kind == 'stream' then value = redis.call('XRANGE', key, '-', '+')
    else value = { redis.call('GET', key) } end
    out[#out + 1] = { key, kind, value }
  end
until cursor == '0'
return out`;

async function dumpQueue(redis: RedisClient, queue: Queue) {
  const entries = (await redis.eval(DUMP, 1, queue.context.keys.meta, queue.context.keys.prefix)) as [
    string,
    string,
    unknown[],
  ][];
  return entries
    .map(
      ([key, kind, value]) => [key, kind, kind === "set" ? [...(value as string[])].sort() : value] as const,
    )
    .sort((a, b) => a[0].localeCompare(b[0]));
}

describe.each(targets)("queue bytes and memory budget (%s)", (_name, url) => {
  const redis = useRedis(url);
  const setup = (settings: QueueSettingsInput = {}) => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("bytes"), settings });
    const worker = new Consumer({ redis: redis(), queue: queue.name, workerId: "w1", settings });
    return { queue, worker };
  };
  const held = async (queue: Queue) => (await queue.gauges()).bytes;

  async function settleAll(worker: Consumer, kind: "completed" | "failed") {
    for (;;) {
      const leases = await worker.take(50);
      if (leases.length === 0) return;
      await worker.settle(
        leases.map((lease) =>
          kind === "completed"
            ? { lease, kind: "completed" as const, result: { ok: true } }
            : { lease, kind: "failed" as const, error: new Error("boom") },
        ),
        0,
      );
    }
  }

  it("counts overhead plus payload bytes per job added, and 0 again once retention by count trimmed them", async () => {
    const { queue, worker } = setup({ retention: { keepCompleted: 0 } });
    const payloads: JsonValue[] = [{ n: 1 }, "héllo wörld ✓", [1, 2, 3], { text: "x".repeat(300) }];
    await queue.addBulk(payloads.map((payload) => ({ type: "noop", payload })));
    await queue.add({ type: "noop" });
    const expected = payloads.reduce<number>((sum, payload) => sum + jobBytes(payload), 0) + jobBytes({});
    expect(await held(queue)).toBe(expected);
    expect((await queue.gauges()).maxBytes).toBe(0);

    await settleAll(worker, "completed");
    expect((await queue.counts()).total.completed).toBe(0);
    expect(await held(queue)).toBe(0);
  });

  it("takes removed, purged, age-trimmed and expired jobs off the count", async () => {
    const { queue, worker } = setup({ retention: { keepCanceled: 0 } });
    const removed = await queue.add({ type: "noop", payload: { keep: "me" } });
    await settleAll(worker, "completed");
    const failed = await queue.addBulk([
      { type: "noop", payload: { f: 1 }, maxAttempts: 1 },
      { type: "noop", payload: { f: 22 }, maxAttempts: 1 },
    ]);
    await settleAll(worker, "failed");
    expect(await held(queue)).toBe(jobBytes({ keep: "me" }) + jobBytes({ f: 1 }) + jobBytes({ f: 22 }));

    await queue.remove(removed.id);
    expect(await held(queue)).toBe(jobBytes({ f: 1 }) + jobBytes({ f: 22 }));
    expect(await queue.purgeDeadLetter()).toBe(failed.length);
    expect(await held(queue)).toBe(0);

    // Expired by maintenance (canceled), then deleted by retention of canceled jobs (keep 0).
    await queue.add({ type: "noop", payload: { expires: true }, expireAfterMs: 1 });
    expect(await held(queue)).toBe(jobBytes({ expires: true }));
    await eventually(async () => (await queue.maintain()).expired === 1);
    expect((await queue.counts()).total.canceled).toBe(0);
    expect(await held(queue)).toBe(0);
  });

  it("takes jobs trimmed by retention age off the count", async () => {
    const { queue, worker } = setup({ retention: { completedAgeMs: 1 } });
    await queue.addBulk([
      { type: "noop", payload: { a: 1 } },
      { type: "noop", payload: { b: 2 } },
    ]);
    await settleAll(worker, "completed");
    await eventually(async () => {
      await queue.maintain();
      return (await queue.counts()).total.completed === 0;
    });
    expect(await held(queue)).toBe(0);
  });

  it("follows a debounce that replaces the waiting job's payload, larger or smaller", async () => {
    const { queue } = setup();
    const debounce = { key: "user-1", windowMs: 60_000 };
    await queue.add({ type: "sync", payload: { v: 1 }, delayMs: 60_000, debounce });
    expect(await held(queue)).toBe(jobBytes({ v: 1 }));
    const longer = { v: 2, note: "a longer payload than the first" };
    expect(await queue.add({ type: "sync", payload: longer, delayMs: 60_000, debounce })).toMatchObject({
      debounced: "replaced",
    });
    expect(await held(queue)).toBe(jobBytes(longer));
    await queue.add({ type: "sync", payload: 3, delayMs: 60_000, debounce });
    expect(await held(queue)).toBe(jobBytes(3));
  });

  it("refuses a batch the budget cannot take, whole and before any write; takes one that fits exactly", async () => {
    const budget = jobBytes({ i: 1 }) * 3;
    const { queue } = setup({ maxQueueBytes: budget });
    await queue.addBulk([
      { type: "noop", payload: { i: 1 } },
      { type: "noop", payload: { i: 2 }, idempotencyKey: "second" },
    ]);
    expect(await queue.gauges()).toMatchObject({ bytes: jobBytes({ i: 1 }) * 2, maxBytes: budget });

    const before = await dumpQueue(redis(), queue);
    // Two jobs, one of a new type, one with a new idempotency key: none of it may land.
    const refused = queue.addBulk([
      { type: "other", payload: { i: 3 } },
      { type: "noop", payload: { i: 4 }, idempotencyKey: "fourth" },
    ]);
    await expect(refused).rejects.toBeInstanceOf(QueueFullError);
    await expect(refused).rejects.toMatchObject({
      code: "queue_full",
      queue: queue.name,
      maxBytes: budget,
      heldBytes: jobBytes({ i: 1 }) * 2,
      requestedBytes: jobBytes({ i: 3 }) + jobBytes({ i: 4 }),
    });
    expect(await dumpQueue(redis(), queue)).toEqual(before);

    // A replay of an idempotency key adds nothing, so it is answered even at the budget.
    await queue.add({ type: "noop", payload: { i: 9 } });
    expect(await held(queue)).toBe(budget);
    expect(await queue.add({ type: "noop", payload: { i: 2 }, idempotencyKey: "second" })).toMatchObject({
      created: false,
    });
    await expect(queue.add({ type: "noop", payload: { i: 5 } })).rejects.toBeInstanceOf(QueueFullError);
    expect((await queue.counts()).total.pending).toBe(3);
  });
});
