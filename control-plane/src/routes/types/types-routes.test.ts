/**
 * The type registry at the door, through app.request() on standalone Redis and
 * Cluster: unregistered types and payloads that fail the advertised schema (from
 * the real built-in handlers) are 422 naming the field, in single submissions and
 * batches; the per-queue setting lets unregistered types in; GET /v1/types lists
 * schema, workers and counts.
 */
import { advertiseTypes, type RegisteredTypeWithWorkers } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { loadHandlers } from "../../../../worker-image/src/handler-registry.js";
import { advertisements } from "../../../../worker-image/src/type-advertisement.js";
import type { ErrorBody } from "../../http/api-error.js";
import { createTestApp, type TestApp, uniqueQueue } from "../../testing/test-app.js";

const targets = [
  ["standalone", inject("redisUrl")],
  ["cluster", inject("redisClusterUrl")],
].filter((target): target is [string, string] => Boolean(target[1]));

describe.each(targets)("job types (%s)", (_name, url) => {
  let t: TestApp;
  let queue: string;
  beforeAll(async () => {
    t = await createTestApp(url, { RQ_REQUIRE_REGISTERED_TYPES: "1" });
    queue = uniqueQueue("types");
    await advertiseTypes(t.redis, queue, "worker-a", 60_000, advertisements(await loadHandlers()));
  });
  afterAll(() => t?.close());

  const submit = (json: unknown) => t.request("/v1/jobs", { method: "POST", json });
  const issues = async (response: Response) => ((await response.json()) as ErrorBody).error.issues;

  it("refuses a type no worker registered, naming the field", async () => {
    const response = await submit({ type: "does-not-exist", queue });
    expect(response.status).toBe(422);
    const [issue] = await issues(response);
    expect(issue?.path).toBe("type");
    expect(issue?.message).toMatch(/no worker has registered job type "does-not-exist"/);
  });

  it("refuses a payload that fails the advertised schema, naming the field", async () => {
    const wrong = await submit({ type: "sleep", queue, payload: { ms: "abc" } });
    expect(wrong.status).toBe(422);
    expect(await issues(wrong)).toEqual([{ path: "payload.ms", message: "must be integer" }]);
    const missing = await submit({ type: "sleep", queue, payload: {} });
    expect(await issues(missing)).toEqual([{ path: "payload.ms", message: "is required" }]);
    // null is a payload of its own, not a missing one.
    expect(await issues(await submit({ type: "sleep", queue, payload: null }))).toEqual([
      { path: "payload", message: "must be object" },
    ]);
    expect((await submit({ type: "sleep", queue, payload: { ms: 5 } })).status).toBe(201);
    // Unknown payload keys pass, as they do the handler's valibot object.
    expect((await submit({ type: "noop", queue, payload: { extra: 1 } })).status).toBe(201);
  });

  it("checks every job of a batch by its position, writing none", async () => {
    const response = await t.request("/v1/jobs/batch", {
      method: "POST",
      json: {
        jobs: [
          { type: "sleep", queue, payload: { ms: 1 } },
          { type: "sleep", queue, payload: { ms: -1 } },
          { type: "nope", queue },
        ],
      },
    });
    expect(response.status).toBe(422);
    expect((await issues(response)).map((issue) => issue.path)).toEqual(["jobs.1.payload.ms", "jobs.2.type"]);
  });

  it("lets unregistered types in when the queue says so, and back to the default with null", async () => {
    const other = uniqueQueue("open");
    const settings = (json: unknown) => t.request(`/v1/queues/${other}/settings`, { method: "PUT", json });
    expect(await (await settings({ requireRegisteredType: false })).json()).toEqual({
      name: other,
      requireRegisteredType: false,
    });
    expect((await submit({ type: "later", queue: other })).status).toBe(201);
    expect((await settings({ requireRegisteredType: "no" })).status).toBe(422);
    await settings({ requireRegisteredType: null });
    const read = await t.request(`/v1/queues/${other}/settings`);
    expect(await read.json()).toEqual({ name: other, requireRegisteredType: true });
    expect((await submit({ type: "later", queue: other })).status).toBe(422);
  });

  it("lists types with schema, defaults, workers and counts", async () => {
    const response = await t.request(`/v1/types?queue=${queue}`);
    expect(response.status).toBe(200);
    const { types } = (await response.json()) as {
      types: (RegisteredTypeWithWorkers & { counts: object })[];
    };
    const sleep = types.find((entry) => entry.type === "sleep");
    expect(sleep).toMatchObject({
      queue,
      workers: ["worker-a"],
      schema: { properties: { ms: { type: "integer" } } },
      defaults: { maxAttempts: 3 },
      counts: { pending: 1, processing: 0, failed: 0 },
    });
    expect(types.find((entry) => entry.type === "cpu")?.counts).toMatchObject({ pending: 0 });
    const all = (await (await t.request("/v1/types")).json()) as { types: { queue: string }[] };
    expect(all.types.some((entry) => entry.queue === queue)).toBe(true);
  });
});
