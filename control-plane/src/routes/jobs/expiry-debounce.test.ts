/**
 * Expiry and debounce over HTTP, on standalone and Cluster: the new submit fields, the
 * answers that say what a debounce key did (single submit: 200 with the `Debounced`
 * header; batch: the `debounced` array), the reason on an expired job, and 422s that
 * name each bad field.
 */
import type { Job, SubmitBatchResponse } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp, uniqueQueue } from "../../testing/test-app.js";

const targets = [
  ["standalone", inject("redisUrl")],
  ["cluster", inject("redisClusterUrl")],
].filter((target): target is [string, string] => Boolean(target[1]));

interface ErrorBody {
  error: { code: string; issues: { path: string; message: string }[] };
}

describe.each(targets)("expiry and debounce over HTTP (%s)", (_name, url) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(url);
  });
  afterAll(() => t.close());

  const submit = (json: unknown) => t.request("/v1/jobs", { method: "POST", json });

  it("takes expireAfterMs and expiresAt, shows expiresAt while waiting and cancelReason once expired", async () => {
    const queue = uniqueQueue("exp");
    const expiresAt = new Date(Date.now() + 60_000).toISOString();
    const absolute = await submit({ type: "a", queue, expiresAt });
    expect(absolute.status).toBe(201);
    expect(((await absolute.json()) as Job).expiresAt).toBe(expiresAt);

    const res = await submit({ type: "a", queue, expireAfterMs: 50 });
    expect(res.status).toBe(201);
    const job = (await res.json()) as Job;
    expect(job).toMatchObject({ state: "pending", cancelReason: null });
    const engine = t.services.queues.get(queue);
    // Redis's clock decides; maintenance cancels it once that clock passed the expiry.
    for (;;) {
      await engine.maintain();
      const read = (await (await t.request(`/v1/jobs/${job.id}`)).json()) as Job;
      if (read.state === "canceled") {
        expect(read).toMatchObject({ cancelReason: "expired", expiresAt: null, failureReason: null });
        break;
      }
      expect(read.state).toBe("pending");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });

  it("answers a debounced submission 200 with the key's job and Debounced: replaced or dropped", async () => {
    const queue = uniqueQueue("deb");
    const first = await submit({
      type: "sync",
      queue,
      payload: { v: 1 },
      delayMs: 60_000,
      debounce: { key: "user-7", windowMs: 60_000 },
    });
    expect(first.status).toBe(201);
    expect(first.headers.get("debounced")).toBeNull();
    const created = (await first.json()) as Job;

    const second = await submit({
      type: "sync",
      queue,
      payload: { v: 2 },
      delayMs: 60_000,
      debounce: { key: "user-7", windowMs: 60_000 },
    });
    expect(second.status).toBe(200);
    expect(second.headers.get("debounced")).toBe("replaced");
    expect(second.headers.get("idempotent-replayed")).toBeNull();
    expect(second.headers.get("location")).toBe(`/v1/jobs/${created.id}`);
    expect((await second.json()) as Job).toMatchObject({
      id: created.id,
      payload: { v: 2 },
      state: "scheduled",
    });

    const throttle = { type: "mail", queue, debounce: { key: "user-7", windowMs: 60_000, mode: "throttle" } };
    const kept = (await (await submit({ ...throttle, payload: 1 })).json()) as Job;
    const dropped = await submit({ ...throttle, payload: 2 });
    expect(dropped.status).toBe(200);
    expect(dropped.headers.get("debounced")).toBe("dropped");
    expect((await dropped.json()) as Job).toMatchObject({ id: kept.id, payload: 1 });
  });

  it("says per job in a batch what a debounce key did", async () => {
    const queue = uniqueQueue("deb");
    const res = await t.request("/v1/jobs/batch", {
      method: "POST",
      json: {
        jobs: [
          { type: "sync", queue, payload: "a", debounce: { key: "k", windowMs: 60_000 } },
          { type: "sync", queue, payload: "b", debounce: { key: "k", windowMs: 60_000 } },
          { type: "other", queue },
          { type: "mail", queue, debounce: { key: "k", windowMs: 60_000, mode: "throttle" } },
          { type: "mail", queue, debounce: { key: "k", windowMs: 60_000, mode: "throttle" } },
        ],
      },
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as SubmitBatchResponse;
    expect(body.debounced).toEqual([null, "replaced", null, null, "dropped"]);
    expect(body.jobs[1]?.id).toBe(body.jobs[0]?.id);
    expect(body.jobs[1]?.payload).toBe("b");
    expect(body.jobs[4]?.id).toBe(body.jobs[3]?.id);
  });

  it("documents the fields and answers in the OpenAPI document", async () => {
    const doc = (await (await t.request("/openapi.json")).json()) as {
      components: { schemas: Record<string, { properties: Record<string, Record<string, unknown>> }> };
      paths: Record<string, Record<string, { responses: Record<string, Record<string, unknown>> }>>;
    };
    const input = doc.components.schemas.JobInput?.properties ?? {};
    expect(input.expireAfterMs).toMatchObject({ type: "integer", minimum: 1 });
    expect(input.expiresAt?.description).toMatch(/expired/);
    expect(input.debounce).toMatchObject({
      type: "object",
      properties: { mode: { enum: ["debounce", "throttle"] }, windowMs: { type: "integer" } },
      required: ["key", "windowMs"],
    });
    expect(Object.keys(doc.components.schemas.Job?.properties ?? {})).toEqual(
      expect.arrayContaining(["cancelReason", "expiresAt"]),
    );
    const submitted = doc.paths["/v1/jobs"]?.post?.responses["200"] as { headers: Record<string, unknown> };
    expect(Object.keys(submitted.headers)).toContain("Debounced");
    expect(JSON.stringify(doc.paths["/v1/jobs/batch"]?.post?.responses["201"])).toContain('"debounced"');
  });

  it("refuses bad expiry and debounce fields with 422 naming each field", async () => {
    const res = await submit({
      type: "a",
      expireAfterMs: 0,
      debounce: { key: "", windowMs: 1.5, mode: "often", extra: 1 },
    });
    expect(res.status).toBe(422);
    const { error } = (await res.json()) as ErrorBody;
    expect(error.code).toBe("validation_failed");
    expect(error.issues).toEqual(
      expect.arrayContaining([
        { path: "expireAfterMs", message: "must be at least 1" },
        { path: "debounce.key", message: "must not be empty" },
        { path: "debounce.windowMs", message: "must be an integer" },
        { path: "debounce.mode", message: "must be 'debounce' or 'throttle'" },
      ]),
    );
    expect(error.issues.some((issue) => issue.path === "debounce.extra")).toBe(true);

    const both = await submit({ type: "a", expireAfterMs: 1_000, expiresAt: Date.now() + 5_000 });
    expect(((await both.json()) as ErrorBody).error.issues).toEqual([
      { path: "expiresAt", message: "give expireAfterMs or expiresAt, not both" },
    ]);
    const batch = await t.request("/v1/jobs/batch", {
      method: "POST",
      json: { jobs: [{ type: "a" }, { type: "a", dependsOn: ["x"], debounce: { key: "k", windowMs: 5 } }] },
    });
    expect(batch.status).toBe(422);
    expect(((await batch.json()) as ErrorBody).error.issues).toContainEqual({
      path: "jobs.1.debounce",
      message: "cannot be combined with dependsOn",
    });
  });
});
