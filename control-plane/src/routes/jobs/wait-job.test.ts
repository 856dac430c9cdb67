import { Consumer, type Job, Queue } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp, uniqueQueue } from "../../testing/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
});
afterAll(() => t.close());

const submit = async (queue: string) =>
  (await (await t.request("/v1/jobs", { method: "POST", json: { type: "work", queue } })).json()) as Job;

describe("GET /v1/jobs/:id/wait", () => {
  it("returns as soon as a worker completes the job", async () => {
    const queue = uniqueQueue("wait");
    const job = await submit(queue);
    const started = Date.now();
    const waiting = t.request(`/v1/jobs/${job.id}/wait?timeoutMs=10000`);
    const consumer = new Consumer({ redis: t.redis, queue, workerId: "test-worker" });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const [leased] = (await consumer.settle([], 1)).taken;
    expect(leased?.id).toBe(job.id);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await consumer.settle(
      [{ lease: leased as NonNullable<typeof leased>, kind: "completed", result: { ok: 1 } }],
      0,
    );
    const res = await waiting;
    expect(res.status).toBe(200);
    const done = (await res.json()) as Job;
    expect(done).toMatchObject({ state: "completed", result: { ok: 1 } });
    expect(Date.now() - started).toBeLessThan(2_000);
    await consumer.close();
  });

  it("wakes many waiters on jobs completed in one settle (batched events)", async () => {
    const queue = uniqueQueue("wait-many");
    const jobs = await Promise.all(Array.from({ length: 5 }, () => submit(queue)));
    const waits = jobs.map((job) => t.request(`/v1/jobs/${job.id}/wait?timeoutMs=10000`));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const consumer = new Consumer({ redis: t.redis, queue, workerId: "w" });
    const { taken } = await consumer.settle([], 5);
    await consumer.settle(
      taken.map((lease) => ({ lease, kind: "completed" as const })),
      0,
    );
    const states = await Promise.all(waits.map(async (w) => ((await (await w).json()) as Job).state));
    expect(states).toEqual(Array(5).fill("completed"));
  });

  it("returns the current state when the timeout passes, and at once for a final job", async () => {
    const queue = uniqueQueue("wait-timeout");
    const job = await submit(queue);
    let started = Date.now();
    const pending = (await (await t.request(`/v1/jobs/${job.id}/wait?timeoutMs=300`)).json()) as Job;
    expect(pending.state).toBe("pending");
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    await new Queue({ redis: t.redis, name: queue }).cancel(job.id);
    started = Date.now();
    const canceled = (await (await t.request(`/v1/jobs/${job.id}/wait?timeoutMs=5000`)).json()) as Job;
    expect(canceled.state).toBe("canceled");
    expect(Date.now() - started).toBeLessThan(200);
  });

  it("wakes on cancel, and answers 404 when the job is unknown, 422 on a bad timeout", async () => {
    const queue = uniqueQueue("wait-cancel");
    const job = await submit(queue);
    const waiting = t.request(`/v1/jobs/${job.id}/wait?timeoutMs=10000`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await t.request(`/v1/jobs/${job.id}/cancel`, { method: "POST" });
    expect(((await (await waiting).json()) as Job).state).toBe("canceled");
    expect((await t.request(`/v1/jobs/${queue}:424242/wait?timeoutMs=10`)).status).toBe(404);
    expect((await t.request(`/v1/jobs/${job.id}/wait?timeoutMs=60001`)).status).toBe(422);
    expect((await t.request(`/v1/jobs/${job.id}/wait?timeoutMs=-5`)).status).toBe(422);
  });

  it("opens no event-stream connection for jobs that do not exist", async () => {
    const clients = async () =>
      String(await t.redis.client("LIST"))
        .trim()
        .split("\n").length;
    const before = await clients();
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        t.request(`/v1/jobs/${uniqueQueue(`nosuch${i}`)}:1/wait?timeoutMs=1000`),
      ),
    );
    expect(answers.every((res) => res.status === 404)).toBe(true);
    expect(await clients()).toBeLessThanOrEqual(before + 1);
  });

  it("answers waiters with the current state at shutdown", async () => {
    const local = await createTestApp(inject("redisUrl"));
    const queue = uniqueQueue("wait-close");
    const created = (await (
      await local.request("/v1/jobs", { method: "POST", json: { type: "w", queue } })
    ).json()) as Job;
    const started = Date.now();
    const waiting = local.request(`/v1/jobs/${created.id}/wait?timeoutMs=30000`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    local.services.events.close();
    const res = await waiting;
    expect(((await res.json()) as Job).state).toBe("pending");
    expect(Date.now() - started).toBeLessThan(1_000);
    await local.close();
  });
});
