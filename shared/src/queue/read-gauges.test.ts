import { describe, expect, it } from "vitest";
import { sleep, targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { Queue } from "./queue.js";

describe.each(targets)("queue gauges (%s)", (_name, url) => {
  const redis = useRedis(url);

  it("counts due scheduled jobs into the backlog and reports the oldest pending age", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("gauge") });
    expect(await queue.gauges()).toMatchObject({
      backlog: 0,
      dueScheduled: 0,
      oldestPendingAgeSeconds: 0,
      paused: false,
    });
    await queue.add({ type: "old", priority: 1 });
    await sleep(300);
    await queue.addBulk([
      { type: "new", priority: 10 },
      { type: "soon", delayMs: 50 },
      { type: "later", delayMs: 60_000 },
    ]);
    await sleep(80);
    await queue.pause();
    const gauges = await queue.gauges();
    expect(gauges).toMatchObject({ dueScheduled: 1, backlog: 3, paused: true });
    expect(gauges.counts).toMatchObject({ pending: 2, scheduled: 2 });
    expect(gauges.countsByType.old?.pending).toBe(1);
    // The low-priority job has waited longest, even though it runs last.
    expect(gauges.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(0.3);
    expect(gauges.oldestPendingAgeSeconds).toBeLessThan(5);
  });
});
