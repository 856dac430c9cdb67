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
});
