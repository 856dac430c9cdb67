import { Consumer, type Job } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp, uniqueQueue } from "../../testing/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
});
afterAll(() => t.close());

const post = (path: string) => t.request(path, { method: "POST" });

describe("job actions", () => {
  it("cancels, refuses a second cancel with 409, retries, and deletes only final jobs", async () => {
    const queue = uniqueQueue();
    const job = (await (
      await t.request("/v1/jobs", { method: "POST", json: { type: "a", queue } })
    ).json()) as Job;

    const del = await t.request(`/v1/jobs/${job.id}`, { method: "DELETE" });
    expect(del.status).toBe(409);
    expect(((await del.json()) as { error: { code: string } }).error.code).toBe("illegal_transition");

    const canceled = await post(`/v1/jobs/${job.id}/cancel`);
    expect(canceled.status).toBe(200);
    expect(((await canceled.json()) as Job).state).toBe("canceled");
    expect((await post(`/v1/jobs/${job.id}/cancel`)).status).toBe(409);

    const retried = await post(`/v1/jobs/${job.id}/retry`);
    expect(retried.status).toBe(200);
    expect(((await retried.json()) as Job).state).toBe("pending");
    expect((await post(`/v1/jobs/${job.id}/retry`)).status).toBe(409);

    await post(`/v1/jobs/${job.id}/cancel`);
    const deleted = await t.request(`/v1/jobs/${job.id}`, { method: "DELETE" });
    expect(deleted.status).toBe(204);
    expect((await t.request(`/v1/jobs/${job.id}`)).status).toBe(404);
    expect((await post(`/v1/jobs/${job.id}/cancel`)).status).toBe(404);
  });

  it("retries a dead-lettered job with its attempts reset", async () => {
    const queue = uniqueQueue();
    const job = (await (
      await t.request("/v1/jobs", { method: "POST", json: { type: "a", queue, maxAttempts: 1 } })
    ).json()) as Job;
    const consumer = new Consumer({ redis: t.redis, queue, workerId: "w" });
    const [lease] = (await consumer.settle([], 1)).taken;
    await consumer.settle(
      [{ lease: lease as NonNullable<typeof lease>, kind: "failed", error: new Error("boom") }],
      0,
    );
    const failed = (await (await t.request(`/v1/jobs/${job.id}`)).json()) as Job;
    expect(failed).toMatchObject({ state: "failed", attempts: 1, lastError: { message: "boom" } });
    const retried = (await (await post(`/v1/jobs/${job.id}/retry`)).json()) as Job;
    expect(retried).toMatchObject({ state: "pending", attempts: 0 });
    await consumer.close();
  });

  it("retries with cascade: dependents that failed with their parent wait for it again", async () => {
    const queue = uniqueQueue("cascade");
    const { jobs } = (await (
      await t.request("/v1/jobs/batch", {
        method: "POST",
        json: {
          jobs: [
            { type: "parent", queue, ref: "p", maxAttempts: 1 },
            { type: "child", queue, dependsOn: ["p"] },
          ],
        },
      })
    ).json()) as { jobs: Job[] };
    const [parent, child] = jobs as [Job, Job];
    const consumer = new Consumer({ redis: t.redis, queue, workerId: "w", types: ["parent"] });
    const [lease] = (await consumer.settle([], 1)).taken;
    await consumer.settle(
      [{ lease: lease as NonNullable<typeof lease>, kind: "failed", error: new Error("x") }],
      0,
    );
    await consumer.close();
    const failedChild = (await (await t.request(`/v1/jobs/${child.id}`)).json()) as Job;
    expect(failedChild).toMatchObject({ state: "failed", failedParent: parent.id });

    expect((await t.request(`/v1/jobs/${child.id}/retry`, { method: "POST" })).status).toBe(409);
    const bad = await t.request(`/v1/jobs/${parent.id}/retry`, { method: "POST", json: { cascade: "yes" } });
    expect(bad.status).toBe(422);
    const retried = await t.request(`/v1/jobs/${parent.id}/retry`, {
      method: "POST",
      json: { cascade: true },
    });
    expect(((await retried.json()) as Job).state).toBe("pending");
    expect(((await (await t.request(`/v1/jobs/${child.id}`)).json()) as Job).state).toBe("blocked");
    expect((await t.request(`/v1/jobs/${queue}:99999/graph`)).status).toBe(404);
  });
});
