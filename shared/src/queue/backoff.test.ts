import { describe, expect, it } from "vitest";
import { targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { Consumer } from "../consumer/consumer.js";
import { DEFAULT_SETTINGS, type QueueSettingsInput } from "../settings.js";
import { Queue } from "./queue.js";

describe.each(targets)("backoff (%s)", (_name, url) => {
  const redis = useRedis(url);

  // The settling side applies the queue's default backoff: the worker gets the queue's settings.
  async function failOnce(queue: Queue, count: number, settings?: QueueSettingsInput) {
    const worker = new Consumer({
      redis: redis(),
      queue: queue.name,
      workerId: "w",
      ...(settings ? { settings } : {}),
    });
    const leases = await worker.take(count);
    expect(leases.length).toBe(count);
    await worker.settle(
      leases.map((lease) => ({ lease, kind: "failed" as const, error: new Error("again") })),
      0,
    );
    return Promise.all(leases.map((lease) => queue.getJobOrThrow(lease.id)));
  }

  it("fixed backoff waits exactly delayMs (no jitter unless asked), exponential is jittered by default", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("backoff") });
    await queue.addBulk(
      Array.from({ length: 8 }, () => ({
        type: "t",
        backoff: { strategy: "fixed" as const, delayMs: 1_000 },
      })),
    );
    for (const job of await failOnce(queue, 8)) {
      expect(job.state).toBe("scheduled");
      expect(job.backoff).toEqual({ strategy: "fixed", delayMs: 1_000, jitter: false });
      expect(Date.parse(job.runAt as string) - Date.parse(job.lastError?.at as string)).toBe(1_000);
    }
    const jittered = await queue.add({
      type: "j",
      backoff: { strategy: "fixed", delayMs: 1_000, jitter: true },
    });
    const exponential = await queue.add({ type: "e", backoff: { strategy: "exponential", delayMs: 500 } });
    expect((await queue.getJobOrThrow(jittered.id)).backoff?.jitter).toBe(true);
    expect((await queue.getJobOrThrow(exponential.id)).backoff?.jitter).toBe(true);
  });

  it("shows the queue's default backoff on a job without its own; a fixed queue default is not jittered", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("backoff") });
    const { id } = await queue.add({ type: "t" });
    expect((await queue.getJobOrThrow(id)).backoff).toEqual(DEFAULT_SETTINGS.defaultBackoff);
    expect((await queue.list({ state: "pending" })).items[0]?.backoff).toEqual(
      DEFAULT_SETTINGS.defaultBackoff,
    );
    expect((await queue.submit({ type: "t" })).job.backoff).toEqual(DEFAULT_SETTINGS.defaultBackoff);

    const settings: QueueSettingsInput = { defaultBackoff: { strategy: "fixed", delayMs: 700 } };
    const fixed = new Queue({ redis: redis(), name: uniqueQueue("backoff"), settings });
    await fixed.addBulk(Array.from({ length: 5 }, () => ({ type: "t" })));
    for (const job of await failOnce(fixed, 5, settings)) {
      expect(job.backoff).toMatchObject({ strategy: "fixed", delayMs: 700, jitter: false });
      expect(Date.parse(job.runAt as string) - Date.parse(job.lastError?.at as string)).toBe(700);
    }
  });
});
