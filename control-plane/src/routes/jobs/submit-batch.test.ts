import type { Job } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp, uniqueQueue } from "../../testing/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
});
afterAll(() => t.close());

const countPending = async (queue: string) =>
  ((await (await t.request(`/v1/jobs?queue=${queue}&state=pending&limit=200`)).json()) as { items: Job[] })
    .items.length;

describe("POST /v1/jobs/batch", () => {
  it("creates every job, across queues, answering them in request order", async () => {
    const [a, b] = [uniqueQueue(), uniqueQueue()];
    const res = await t.request("/v1/jobs/batch", {
      method: "POST",
      json: {
        jobs: [
          { type: "x", queue: a, payload: 0 },
          { type: "y", queue: b, payload: 1 },
          { type: "x", queue: a, payload: 2, priority: 1 },
        ],
      },
    });
    expect(res.status).toBe(201);
    const { jobs } = (await res.json()) as { jobs: Job[] };
    expect(jobs.map((job) => [job.queue, job.payload])).toEqual([
      [a, 0],
      [b, 1],
      [a, 2],
    ]);
    expect(await countPending(a)).toBe(2);
    expect(await countPending(b)).toBe(1);
  });

  it("writes nothing when any entry is invalid, naming each bad entry's fields", async () => {
    const queue = uniqueQueue();
    const res = await t.request("/v1/jobs/batch", {
      method: "POST",
      json: {
        jobs: [
          { type: "ok", queue },
          { type: "ok", queue, priority: 99 },
          { type: "ok", queue, dependsOn: ["nowhere"] },
          "not an object",
        ],
      },
    });
    expect(res.status).toBe(422);
    const { error } = (await res.json()) as { error: { issues: { path: string }[] } };
    expect(error.issues.map((issue) => issue.path)).toEqual(["jobs.1.priority", "jobs.3"]);
    expect(await countPending(queue)).toBe(0);
  });

  it("accepts 1,000 jobs and rejects 1,001, an empty list or a missing list", async () => {
    const queue = uniqueQueue();
    const thousand = Array.from({ length: 1000 }, (_, i) => ({ type: "bulk", queue, payload: i }));
    const ok = await t.request("/v1/jobs/batch", { method: "POST", json: { jobs: thousand } });
    expect(ok.status).toBe(201);
    expect(((await ok.json()) as { jobs: Job[] }).jobs).toHaveLength(1000);
    for (const json of [{ jobs: [...thousand, { type: "bulk", queue }] }, { jobs: [] }, { job: [] }]) {
      const res = await t.request("/v1/jobs/batch", { method: "POST", json });
      expect(res.status).toBe(422);
    }
  });

  it("submits a workflow whose jobs name each other by ref", async () => {
    const [a, b] = [uniqueQueue("wf"), uniqueQueue("wf")];
    const res = await t.request("/v1/jobs/batch", {
      method: "POST",
      json: {
        jobs: [
          { type: "other", queue: b },
          { type: "publish", queue: a, dependsOn: ["small", "large"] },
          { type: "resize", queue: a, ref: "small", dependsOn: ["download"] },
          { type: "resize", queue: a, ref: "large", dependsOn: ["download"] },
          { type: "download", queue: a, ref: "download" },
        ],
      },
    });
    expect(res.status).toBe(201);
    const { jobs } = (await res.json()) as { jobs: Job[] };
    expect(jobs.map((job) => job.state)).toEqual(["pending", "blocked", "blocked", "blocked", "pending"]);
    expect(jobs[1]?.dependsOn.sort()).toEqual([jobs[2]?.id, jobs[3]?.id].sort());
    expect(jobs[2]?.dependsOn).toEqual([jobs[4]?.id]);
    const graph = (await (await t.request(`/v1/jobs/${jobs[4]?.id}/graph`)).json()) as {
      children: { id: string; state: string }[];
    };
    expect(graph.children.map((child) => child.id).sort()).toEqual([jobs[2]?.id, jobs[3]?.id].sort());
  });

  it("names refs problems by request position, across queues, before writing anything", async () => {
    const [a, b] = [uniqueQueue("wf"), uniqueQueue("wf")];
    const res = await t.request("/v1/jobs/batch", {
      method: "POST",
      json: {
        jobs: [
          { type: "x", queue: a, ref: "one", dependsOn: ["two"] },
          { type: "x", queue: b },
          { type: "x", queue: a, ref: "two", dependsOn: ["one"] },
          { type: "x", queue: b, dependsOn: ["missing"] },
          { type: "x", queue: b, ref: "dup" },
          { type: "x", queue: b, ref: "dup" },
        ],
      },
    });
    expect(res.status).toBe(422);
    const { error } = (await res.json()) as { error: { issues: { path: string; message: string }[] } };
    expect(error.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: "jobs", message: expect.stringContaining("cycle") }),
        expect.objectContaining({ path: "jobs.3.dependsOn", message: expect.stringContaining("missing") }),
        expect.objectContaining({ path: "jobs.5.ref", message: expect.stringContaining("dup") }),
      ]),
    );
    expect(await countPending(a)).toBe(0);
    expect(await countPending(b)).toBe(0);
  });

  it("writes nothing in any queue when a later queue names an unknown parent", async () => {
    const [a, b] = [uniqueQueue("wf"), uniqueQueue("wf")];
    const res = await t.request("/v1/jobs/batch", {
      method: "POST",
      json: {
        jobs: [
          { type: "x", queue: a },
          { type: "x", queue: b, dependsOn: [`${b}:999999`] },
        ],
      },
    });
    expect(res.status).toBe(422);
    const { error } = (await res.json()) as { error: { issues: { path: string; message: string }[] } };
    expect(error.issues).toEqual([{ path: "jobs.1.dependsOn", message: `unknown job ${b}:999999` }]);
    expect(await countPending(a)).toBe(0);
    expect(await countPending(b)).toBe(0);
  });
});
