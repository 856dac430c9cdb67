import type { Job } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp, uniqueQueue } from "../../testing/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
});
afterAll(() => t.close());

describe("POST /v1/jobs", () => {
  it("creates a job and answers 201 with the whole job", async () => {
    const queue = uniqueQueue();
    const res = await t.request("/v1/jobs", {
      method: "POST",
      json: { type: "email.send", queue, payload: { to: "a@example.com" }, priority: 9, maxAttempts: 4 },
    });
    expect(res.status).toBe(201);
    const job = (await res.json()) as Job;
    expect(job).toMatchObject({
      queue,
      type: "email.send",
      state: "pending",
      priority: 9,
      payload: { to: "a@example.com" },
      attempts: 0,
      maxAttempts: 4,
      dependsOn: [],
      dependents: [],
    });
    expect(job.id).toMatch(new RegExp(`^${queue}:\\d+$`));
    expect(res.headers.get("location")).toBe(`/v1/jobs/${job.id}`);
    expect(res.headers.get("idempotent-replayed")).toBeNull();
  });

  it("uses the default queue and schedules with delayMs or runAt", async () => {
    const plain = (await (
      await t.request("/v1/jobs", { method: "POST", json: { type: "a" } })
    ).json()) as Job;
    expect(plain.queue).toBe("default");
    const queue = uniqueQueue();
    const runAt = new Date(Date.now() + 60_000).toISOString();
    const res = await t.request("/v1/jobs", { method: "POST", json: { type: "a", queue, runAt } });
    const job = (await res.json()) as Job;
    expect(job.state).toBe("scheduled");
    expect(job.runAt).toBe(runAt);
  });

  it("creates exactly one job for 20 concurrent requests with one idempotency key", async () => {
    const queue = uniqueQueue();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.request("/v1/jobs", { method: "POST", json: { type: "charge", queue, idempotencyKey: "order-7" } }),
      ),
    );
    const statuses = responses.map((res) => res.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(19);
    const ids = new Set(await Promise.all(responses.map(async (res) => ((await res.json()) as Job).id)));
    expect(ids.size).toBe(1);
    for (const res of responses) {
      expect(res.headers.get("idempotent-replayed")).toBe(res.status === 200 ? "true" : null);
    }
    const listed = await (await t.request(`/v1/jobs?queue=${queue}&state=pending`)).json();
    expect((listed as { items: Job[] }).items).toHaveLength(1);
  });

  it("accepts the Idempotency-Key header, and rejects a body key that differs", async () => {
    const queue = uniqueQueue();
    const send = (headers: Record<string, string>, extra: object = {}) =>
      t.request("/v1/jobs", { method: "POST", headers, json: { type: "a", queue, ...extra } });
    const first = await send({ "Idempotency-Key": "k1" });
    const second = await send({ "Idempotency-Key": "k1" });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(((await second.json()) as Job).idempotencyKey).toBe("k1");
    const mismatch = await send({ "Idempotency-Key": "k1" }, { idempotencyKey: "k2" });
    expect(mismatch.status).toBe(422);
    expect(((await mismatch.json()) as { error: { issues: unknown[] } }).error.issues).toEqual([
      { path: "idempotencyKey", message: expect.stringContaining("differs") },
    ]);
  });

  it("answers 422 naming each bad field, every unknown one included", async () => {
    const res = await t.request("/v1/jobs", {
      method: "POST",
      json: {
        type: "Bad Type",
        priority: 0,
        backoff: { strategy: "linear", delayMs: 1 },
        colour: "red",
        size: "xl",
      },
    });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; issues: { path: string }[] } };
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.issues.map((issue) => issue.path).sort()).toEqual([
      "backoff.strategy",
      "colour",
      "priority",
      "size",
      "type",
    ]);
  });

  it("answers 422 for a missing type, a non-object body and delayMs with runAt", async () => {
    const missing = await t.request("/v1/jobs", { method: "POST", json: { payload: 1 } });
    expect(((await missing.json()) as { error: { issues: unknown[] } }).error.issues).toEqual([
      { path: "type", message: "is required" },
    ]);
    const array = await t.request("/v1/jobs", { method: "POST", json: [1, 2] });
    expect(array.status).toBe(422);
    const both = await t.request("/v1/jobs", {
      method: "POST",
      json: { type: "a", delayMs: 5, runAt: new Date().toISOString() },
    });
    expect(both.status).toBe(422);
  });

  it("rejects a payload over the engine's limit with 422 and a body over the HTTP limit with 413", async () => {
    const big = await t.request("/v1/jobs", {
      method: "POST",
      json: { type: "a", payload: "x".repeat(600_000) },
    });
    expect(big.status).toBe(422);
    expect(((await big.json()) as { error: { issues: { path: string }[] } }).error.issues[0]?.path).toBe(
      "payload",
    );
    const huge = await t.request("/v1/jobs", {
      method: "POST",
      json: { type: "a", payload: "x".repeat(1_100_000) },
    });
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
  });

  it("blocks a job on its parents until they complete; rejects unknown and cross-queue parents", async () => {
    const queue = uniqueQueue("deps");
    const parent = (await (
      await t.request("/v1/jobs", { method: "POST", json: { type: "a", queue } })
    ).json()) as Job;
    const res = await t.request("/v1/jobs", {
      method: "POST",
      json: { type: "b", queue, dependsOn: [parent.id], onParentFailure: "ignore" },
    });
    expect(res.status).toBe(201);
    const child = (await res.json()) as Job;
    expect(child).toMatchObject({ state: "blocked", dependsOn: [parent.id], onParentFailure: "ignore" });
    const unknown = await t.request("/v1/jobs", {
      method: "POST",
      json: { type: "b", queue, dependsOn: [`${queue}:999999`] },
    });
    expect(unknown.status).toBe(422);
    expect(((await unknown.json()) as { error: { issues: { path: string }[] } }).error.issues[0]?.path).toBe(
      "dependsOn",
    );
    const elsewhere = await t.request("/v1/jobs", {
      method: "POST",
      json: { type: "b", queue: uniqueQueue(), dependsOn: [parent.id] },
    });
    expect(elsewhere.status).toBe(422);
  });
});
