import { Queue } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createLogger } from "../logging/logger.js";
import { createTestApp, type TestApp, uniqueQueue } from "../testing/test-app.js";
import { JobEvents } from "./job-events.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
});
afterAll(() => t.close());

describe("JobEvents", () => {
  it("delivers a change made right after watch() to the watcher, and only to it", async () => {
    const events = new JobEvents(t.redis, createLogger("silent"), 50);
    const name = uniqueQueue("events");
    const queue = new Queue({ redis: t.redis, name });
    const [a, b] = await queue.addBulk([{ type: "x" }, { type: "x" }]);
    const seqOf = (id: string) => id.slice(id.lastIndexOf(":") + 1);
    const watchA = await events.watch(name, seqOf(a?.id as string));
    const watchB = await events.watch(name, seqOf(b?.id as string));
    await queue.cancel(a?.id as string);
    expect(await watchA.next(2_000)).toBe("changed");
    expect(await watchB.next(200)).toBe("timeout");
    watchA.close();
    watchB.close();
    events.close();
  });

  it("keeps one reader per queue while watched, and closes it after the idle time", async () => {
    const events = new JobEvents(t.redis, createLogger("silent"), 50);
    const name = uniqueQueue("events");
    const watches = await Promise.all([events.watch(name, "1"), events.watch(name, "2")]);
    expect(events.activeReaders).toBe(1);
    for (const watch of watches) watch.close();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(events.activeReaders).toBe(0);
    events.close();
    expect(await (await events.watch(name, "1")).next(1_000)).toBe("closing");
  });
});
