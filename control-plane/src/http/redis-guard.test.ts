import { Queue } from "@rqueue/shared";
import type { Command } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createShortDeadlineApp, type TestApp, uniqueQueue } from "../testing/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createShortDeadlineApp(inject("redisUrl"), 100);
});
afterAll(() => t.close());

describe("redis guard", () => {
  it("does not count a slow upload against the Redis deadline", async () => {
    const body = JSON.stringify({ type: "slow", queue: uniqueQueue() });
    const encoder = new TextEncoder();
    const stream = new ReadableStream({
      async start(controller) {
        for (const part of [body.slice(0, 5), body.slice(5)]) {
          controller.enqueue(encoder.encode(part));
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
        controller.close();
      },
    });
    const res = await t.app.request("/v1/jobs", {
      method: "POST",
      headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(201);
    expect(t.services.breaker.blockedReason()).toBeNull();
  });

  it("exempts long polls from the deadline", async () => {
    const created = (await (
      await t.request("/v1/jobs", { method: "POST", json: { type: "a", queue: uniqueQueue() } })
    ).json()) as { id: string };
    const res = await t.request(`/v1/jobs/${created.id}/wait?timeoutMs=300`);
    expect(res.status).toBe(200);
  });

  // After a stall of this process past the deadline (a CPU hog, a long GC), the timer and
  // the reply that arrived meanwhile are both due; timers run first in a loop turn. The
  // write applied, so a 503 would have the client submit it twice.
  it("answers a write whose reply arrived during a stall past the deadline with its result", async () => {
    const queue = uniqueQueue("stall");
    const redis = t.services.redis;
    // Registered already: a first add to a queue records its name with one more round trip.
    await t.services.queues.get(queue).add({ type: "warm" });
    const send = redis.sendCommand.bind(redis) as (command: Command, ...rest: unknown[]) => unknown;
    let stalled = false;
    redis.sendCommand = (command: Command, ...rest: unknown[]) => {
      const sent = send(command, ...rest);
      if (!stalled && command.name === "fcall" && String(command.args[0]).startsWith("rq_add_jobs")) {
        stalled = true;
        // The script is on its way and Redis answers within the stall; the 100 ms deadline passes.
        for (const until = Date.now() + 300; Date.now() < until; );
      }
      return sent;
    };
    try {
      const res = await t.request("/v1/jobs", { method: "POST", json: { type: "a", queue } });
      expect(stalled).toBe(true);
      expect(res.status, await res.clone().text()).toBe(201);
    } finally {
      redis.sendCommand = send;
    }
    const counts = await new Queue({ redis, name: queue }).counts();
    expect(counts.byType.a?.pending).toBe(1);
  });
});
