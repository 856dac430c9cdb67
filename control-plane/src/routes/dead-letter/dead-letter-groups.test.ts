import type { DeadLetterGroupsResponse, Job } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { failJobs } from "../../testing/fail-jobs.js";
import { createTestApp, type TestApp, uniqueQueue } from "../../testing/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
});
afterAll(() => t.close());

describe("GET /v1/dead-letter/groups", () => {
  it("groups failed jobs by type and last error message, with counts and times", async () => {
    const queue = uniqueQueue("dlq");
    const jobs = [
      ...Array.from({ length: 5 }, () => ({ type: "email", queue, maxAttempts: 1 })),
      ...Array.from({ length: 2 }, () => ({ type: "resize", queue, maxAttempts: 1 })),
    ];
    const { jobs: added } = (await (
      await t.request("/v1/jobs/batch", { method: "POST", json: { jobs } })
    ).json()) as {
      jobs: Job[];
    };
    // Taken in priority-then-FIFO order: the 5 email jobs first.
    await failJobs(t.redis, queue, 7, (index) =>
      index < 3 ? "smtp timeout" : index < 5 ? "bad address" : "oom",
    );

    const response = await t.request(`/v1/dead-letter/groups?queue=${queue}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as DeadLetterGroupsResponse;
    expect(body).toMatchObject({ queue, examined: 7, totalFailed: 7, complete: true });
    const summary = body.groups.map((g) => [g.type, g.message, g.count]);
    // Largest group first; equal counts by most recent (here maybe the same millisecond).
    expect(summary[0]).toEqual(["email", "smtp timeout", 3]);
    expect(summary.slice(1)).toEqual(
      expect.arrayContaining([
        ["email", "bad address", 2],
        ["resize", "oom", 2],
      ]),
    );
    expect(summary).toHaveLength(3);
    const timeout = body.groups[0];
    expect(timeout?.jobIds).toHaveLength(3);
    expect(timeout?.jobIds.every((id) => added.some((job) => job.id === id))).toBe(true);
    expect(Date.parse(timeout?.firstSeen ?? "") <= Date.parse(timeout?.lastSeen ?? "")).toBe(true);
  });

  it("answers 404 for an unknown queue and 422 without one", async () => {
    expect((await t.request(`/v1/dead-letter/groups?queue=${uniqueQueue()}`)).status).toBe(404);
    expect((await t.request("/v1/dead-letter/groups")).status).toBe(422);
  });
});
