import { Queue } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { EventHub } from "../events/event-hub.js";
import { createLogger } from "../logging/logger.js";
import { createTestApp, type TestApp, uniqueQueue } from "../testing/test-app.js";
import { JobEvents } from "./job-events.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
});
afterAll(() => t.close());

const hubOf = (maxQueues = 64) => new EventHub(t.redis, createLogger("silent"), maxQueues, 50);
const seqOf = (id: string) => id.slice(id.lastIndexOf(":") + 1);
const blockingClients = async () =>
  String(await t.redis.client("LIST"))
    .split("\n")
    .filter((line) => / cmd=xread /.test(line)).length;

describe("JobEvents", () => {
  it("delivers a change made right after watch() to the watcher, and only to it", async () => {
    const hub = hubOf();
    const events = new JobEvents(hub);
    const name = uniqueQueue("events");
    const queue = new Queue({ redis: t.redis, name });
    const [a, b] = await queue.addBulk([{ type: "x" }, { type: "x" }]);
    const watchA = await events.watch(name, seqOf(a?.id as string));
    const watchB = await events.watch(name, seqOf(b?.id as string));
    await queue.cancel(a?.id as string);
    expect(await watchA.next(2_000)).toBe("changed");
    expect(await watchB.next(200)).toBe("timeout");
    watchA.close();
    watchB.close();
    events.close();
    hub.close();
  });

  it("shares one tail per queue with event streams, let go after the idle time", async () => {
    const hub = hubOf();
    const events = new JobEvents(hub);
    const name = uniqueQueue("events");
    const watches = await Promise.all([events.watch(name, "1"), events.watch(name, "2")]);
    const unsubscribe = await hub.subscribe(name, () => {});
    expect(hub.activeTails).toBe(1);
    for (const watch of watches) watch.close();
    unsubscribe();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(hub.activeTails).toBe(0);
    events.close();
    expect(await (await events.watch(name, "1")).next(1_000)).toBe("closing");
    hub.close();
  });

  it("holds no more blocking connections than the hub's cap: long polls past it re-read their job", async () => {
    const before = await blockingClients();
    const hub = hubOf(2);
    const events = new JobEvents(hub);
    const names = [uniqueQueue("cap"), uniqueQueue("cap"), uniqueQueue("cap"), uniqueQueue("cap")];
    const watches = await Promise.all(names.map((name) => events.watch(name, "1")));
    expect(hub.activeTails).toBe(2);
    expect(events.activeReaders).toBe(2);
    // Past the cap: woken to re-read after the poll interval, well before its own timeout.
    const started = Date.now();
    expect(await watches[3]?.next(10_000)).toBe("changed");
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await blockingClients()).toBeLessThanOrEqual(before + 2);
    for (const watch of watches) watch.close();
    events.close();
    hub.close();
  });
});
