import type { Job } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { failJobs } from "../../testing/fail-jobs.js";
import { createTestApp, type TestApp, uniqueQueue } from "../../testing/test-app.js";

const READ = "read-secret-0123456789";
const SUBMIT = "submit-secret-0123456789";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"), {
    RQ_API_KEYS: `viewer:${READ}:read,producer:${SUBMIT}:submit`,
  });
});
afterAll(() => t.close());

const submit = async (json: unknown) =>
  (await (await t.request("/v1/jobs", { method: "POST", json, key: SUBMIT })).json()) as Job;
const read = async (id: string) => (await (await t.request(`/v1/jobs/${id}`, { key: READ })).json()) as Job;

describe("POST /v1/jobs/:id/replay", () => {
  it("makes a new job with the edited payload that names the original, and the original lists it", async () => {
    const queue = uniqueQueue("replay");
    const original = await submit({
      type: "send",
      queue,
      payload: { to: "ada" },
      maxAttempts: 1,
      timeoutMs: 5_000,
      backoff: { strategy: "fixed", delayMs: 10 },
    });
    await failJobs(t.redis, queue, 1, () => "mailbox full");

    const response = await t.request(`/v1/jobs/${original.id}/replay`, {
      method: "POST",
      key: SUBMIT,
      json: { payload: { to: "grace" }, priority: 9, maxAttempts: 4 },
    });
    expect(response.status).toBe(201);
    const replay = (await response.json()) as Job;
    expect(replay).toMatchObject({
      type: "send",
      queue,
      state: "pending",
      payload: { to: "grace" },
      priority: 9,
      maxAttempts: 4,
      timeoutMs: 5_000,
      backoff: { strategy: "fixed", delayMs: 10 },
      replayOf: original.id,
    });
    expect(replay.id).not.toBe(original.id);
    expect((await read(replay.id)).replayOf).toBe(original.id);
    const after = await read(original.id);
    expect(after).toMatchObject({ state: "failed", replays: [replay.id], replayOf: null });

    // A second replay without edits copies the payload and is listed first.
    const again = (await (
      await t.request(`/v1/jobs/${original.id}/replay`, { method: "POST", key: SUBMIT })
    ).json()) as Job;
    expect(again).toMatchObject({ payload: { to: "ada" }, priority: original.priority });
    expect((await read(original.id)).replays).toEqual([again.id, replay.id]);
  });

  it("refuses bad edits (422 naming the field), unknown jobs (404) and the read role (403)", async () => {
    const queue = uniqueQueue("replay-bad");
    const job = await submit({ type: "a", queue });
    const bad = await t.request(`/v1/jobs/${job.id}/replay`, {
      method: "POST",
      key: SUBMIT,
      json: { priority: 11, color: "red" },
    });
    expect(bad.status).toBe(422);
    const paths = ((await bad.json()) as { error: { issues: { path: string }[] } }).error.issues.map(
      (i) => i.path,
    );
    expect(paths).toEqual(expect.arrayContaining(["priority", "color"]));
    expect((await t.request(`/v1/jobs/${queue}:999/replay`, { method: "POST", key: SUBMIT })).status).toBe(
      404,
    );
    expect((await t.request(`/v1/jobs/${job.id}/replay`, { method: "POST", key: READ })).status).toBe(403);
  });
});
