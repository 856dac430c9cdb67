import { Consumer, type Job, type JobLogsResponse, JobLogWriter } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp, uniqueQueue } from "../../testing/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
});
afterAll(() => t.close());

describe("GET /v1/jobs/:id/logs", () => {
  it("serves the lines a handler logged, oldest first, with their attempt", async () => {
    const queue = uniqueQueue("logs");
    const job = (await (
      await t.request("/v1/jobs", { method: "POST", json: { type: "a", queue } })
    ).json()) as Job;
    expect(((await (await t.request(`/v1/jobs/${job.id}/logs`)).json()) as JobLogsResponse).lines).toEqual(
      [],
    );

    const consumer = new Consumer({ redis: t.redis, queue, workerId: "w" });
    const [lease] = await consumer.take(1);
    if (!lease) throw new Error("no job taken");
    const status = await new JobLogWriter(t.redis, queue).append(lease, ["first line", "second line"]);
    expect(status.ok).toBe(true);

    const response = await t.request(`/v1/jobs/${job.id}/logs`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as JobLogsResponse;
    expect(body.id).toBe(job.id);
    expect(body.lines.map((line) => [line.attempt, line.message])).toEqual([
      [1, "first line"],
      [1, "second line"],
    ]);
    expect(Number.isNaN(Date.parse(body.lines[0]?.at ?? ""))).toBe(false);
    await consumer.close();
  });

  it("pages through the lines with offset and limit", async () => {
    const queue = uniqueQueue("logs");
    const job = (await (
      await t.request("/v1/jobs", { method: "POST", json: { type: "a", queue } })
    ).json()) as Job;
    const consumer = new Consumer({ redis: t.redis, queue, workerId: "w" });
    const [lease] = await consumer.take(1);
    if (!lease) throw new Error("no job taken");
    await new JobLogWriter(t.redis, queue).append(lease, ["l0", "l1", "l2", "l3", "l4"]);
    const page = async (query: string) =>
      (await (await t.request(`/v1/jobs/${job.id}/logs${query}`)).json()) as JobLogsResponse;
    const first = await page("?limit=2");
    expect([first.lines.map((line) => line.message), first.total, first.nextOffset]).toEqual([
      ["l0", "l1"],
      5,
      2,
    ]);
    const last = await page("?offset=4&limit=2");
    expect([last.lines.map((line) => line.message), last.nextOffset]).toEqual([["l4"], null]);
    expect((await page("")).lines).toHaveLength(5);
    expect((await t.request(`/v1/jobs/${job.id}/logs?limit=0`)).status).toBe(422);
    expect((await t.request(`/v1/jobs/${job.id}/logs?offset=x`)).status).toBe(422);
    await consumer.close();
  });

  it("answers 404 for an unknown job and 422 for a malformed id", async () => {
    const missing = await t.request(`/v1/jobs/${uniqueQueue()}:999/logs`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("job_not_found");
    expect((await t.request("/v1/jobs/not-an-id/logs")).status).toBe(422);
  });
});
