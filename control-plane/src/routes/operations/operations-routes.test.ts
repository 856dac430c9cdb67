import type { Job, Operation } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { failJobs } from "../../testing/fail-jobs.js";
import { createShortDeadlineApp, createTestApp, type TestApp, uniqueQueue } from "../../testing/test-app.js";

const READ = "read-secret-0123456789";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"), {
    RQ_API_KEYS: `viewer:${READ}:read,ops:admin-secret-0123456789:admin`,
  });
});
afterAll(() => t.close());

const ADMIN = "admin-secret-0123456789";

async function addJobs(queue: string, count: number, extra: Record<string, unknown> = {}) {
  const jobs = Array.from({ length: count }, (_, i) => ({ type: i % 2 ? "odd" : "even", queue, ...extra }));
  const response = await t.request("/v1/jobs/batch", { method: "POST", key: ADMIN, json: { jobs } });
  return ((await response.json()) as { jobs: Job[] }).jobs;
}

async function waitForEnd(id: string): Promise<Operation> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const operation = (await (await t.request(`/v1/operations/${id}`, { key: READ })).json()) as Operation;
    if (operation.status !== "running") return operation;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`operation ${id} still running`);
}

describe("bulk operations by filter", () => {
  it("retries every failed job the filter selects, past one page, and reports progress", async () => {
    const queue = uniqueQueue("bulk");
    await addJobs(queue, 250, { maxAttempts: 1 });
    await failJobs(t.redis, queue, 250, () => "boom");

    const started = await t.request("/v1/operations", {
      method: "POST",
      key: ADMIN,
      json: { action: "retry", filter: { queue, state: "failed", type: "even" } },
    });
    expect(started.status).toBe(202);
    const operation = (await started.json()) as Operation;
    expect(operation).toMatchObject({ status: "running", estimated: 125, createdBy: "ops" });

    const ended = await waitForEnd(operation.id);
    expect(ended).toMatchObject({ status: "completed", examined: 125, applied: 125, skipped: 0 });
    const counts = (await (await t.request("/v1/queues", { key: READ })).json()) as {
      queues: { name: string; countsByType: Record<string, Record<string, number>> }[];
    };
    const byType = counts.queues.find((q) => q.name === queue)?.countsByType;
    expect(byType?.even).toMatchObject({ failed: 0, pending: 125 });
    expect(byType?.odd).toMatchObject({ failed: 125 });

    const recent = (await (await t.request("/v1/operations", { key: READ })).json()) as {
      operations: Operation[];
    };
    expect(recent.operations.some((op) => op.id === operation.id)).toBe(true);
  });

  it("deletes by filter and cancels by filter", async () => {
    const queue = uniqueQueue("bulk-cancel");
    await addJobs(queue, 30);
    const cancel = (await (
      await t.request("/v1/operations", {
        method: "POST",
        key: ADMIN,
        json: { action: "cancel", filter: { queue, state: "pending" } },
      })
    ).json()) as Operation;
    expect(await waitForEnd(cancel.id)).toMatchObject({ status: "completed", applied: 30 });
    const remove = (await (
      await t.request("/v1/operations", {
        method: "POST",
        key: ADMIN,
        json: { action: "delete", filter: { queue, state: "canceled", type: "odd" } },
      })
    ).json()) as Operation;
    expect(await waitForEnd(remove.id)).toMatchObject({ status: "completed", applied: 15 });
    const page = (await (
      await t.request(`/v1/jobs?queue=${queue}&state=canceled&limit=100`, { key: READ })
    ).json()) as {
      items: Job[];
    };
    expect(page.items.map((job) => job.type)).toEqual(Array(15).fill("even"));
  });

  it("stops a running operation on cancel, and refuses bad input, the read role and unknown ids", async () => {
    const queue = uniqueQueue("bulk-stop");
    await addJobs(queue, 1000);
    const operation = (await (
      await t.request("/v1/operations", {
        method: "POST",
        key: ADMIN,
        json: { action: "cancel", filter: { queue, state: "pending" } },
      })
    ).json()) as Operation;
    const cancel = await t.request(`/v1/operations/${operation.id}/cancel`, { method: "POST", key: ADMIN });
    // It may have finished already on a fast machine; then cancel is a 409.
    expect([200, 409]).toContain(cancel.status);
    const ended = await waitForEnd(operation.id);
    if (cancel.status === 200) {
      expect(ended.status).toBe("canceled");
      expect(ended.applied).toBeLessThan(1000);
    }
    expect(
      (await t.request(`/v1/operations/${operation.id}/cancel`, { method: "POST", key: ADMIN })).status,
    ).toBe(409);

    const bad = await t.request("/v1/operations", {
      method: "POST",
      key: ADMIN,
      json: { action: "explode", filter: { queue, state: "nope" } },
    });
    expect(bad.status).toBe(422);
    const readOnly = await t.request("/v1/operations", {
      method: "POST",
      key: READ,
      json: { action: "cancel", filter: { queue, state: "pending" } },
    });
    expect(readOnly.status).toBe(403);
    expect(
      (await t.request("/v1/operations/00000000-0000-0000-0000-000000000000", { key: READ })).status,
    ).toBe(404);
    expect((await t.request("/v1/operations/not-an-id", { key: READ })).status).toBe(404);
  });
});

describe("a bulk operation outliving its request", () => {
  let short: TestApp;
  beforeAll(async () => {
    short = await createShortDeadlineApp(inject("redisUrl"), 200);
  });
  afterAll(() => short.close());

  // The request that starts an operation has a Redis deadline of 200 ms; cancelling
  // 5,000 jobs one by one takes longer. Its scripts must not carry that deadline.
  it("runs to the end without the request's deadline", async () => {
    const queue = uniqueQueue("long-op");
    for (let i = 0; i < 5; i++) {
      const jobs = Array.from({ length: 1_000 }, () => ({ type: "t", queue }));
      expect((await short.request("/v1/jobs/batch", { method: "POST", json: { jobs } })).status).toBe(201);
    }
    const started = await short.request("/v1/operations", {
      method: "POST",
      json: { action: "cancel", filter: { queue, state: "pending" } },
    });
    expect(started.status).toBe(202);
    const { id } = (await started.json()) as Operation;
    let ended: Operation | undefined;
    for (const until = Date.now() + 60_000; Date.now() < until; ) {
      ended = (await (await short.request(`/v1/operations/${id}`)).json()) as Operation;
      if (ended.status !== "running") break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(ended).toMatchObject({ status: "completed", applied: 5_000 });
  });
});
