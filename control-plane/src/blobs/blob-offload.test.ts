/**
 * Large payloads through the API: stored in the blob store with only a reference
 * in Redis, read back whole by GET /v1/jobs/:id, refused by name over the limit.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { blobRefOf } from "@rqueue/shared/blobs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp, uniqueQueue } from "../testing/test-app.js";

let t: TestApp;
const dir = mkdtempSync(join(tmpdir(), "rq-api-blobs-"));

beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"), {
    RQ_BLOB_DIR: dir,
    RQ_BLOB_THRESHOLD_BYTES: "4096",
    RQ_BLOB_MAX_BYTES: String(2 * 1024 * 1024),
  });
});
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

const payloadOf = (kib: number) => ({
  rows: Array.from({ length: kib }, (_, i) => ({ i, pad: "p".repeat(1_000) })),
});

describe("blob offload in the API", () => {
  it("keeps a reference in Redis and answers the whole payload, for one job and a batch", async () => {
    const queue = uniqueQueue("blobs");
    const payload = payloadOf(900); // ~0.9 MB: over the engine's own payload limit, fine through the store
    const created = await t.request("/v1/jobs", { method: "POST", json: { queue, type: "big", payload } });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const stored = await t.redis.hget(`rq:{${queue}}:j:${id.split(":")[1]}`, "d");
    expect(blobRefOf(JSON.parse(stored as string))?.bytes).toBe(Buffer.byteLength(JSON.stringify(payload)));
    expect((stored as string).length).toBeLessThan(300);
    const read = (await (await t.request(`/v1/jobs/${id}`)).json()) as { payload: unknown };
    expect(read.payload).toEqual(payload);

    const batch = await t.request("/v1/jobs/batch", {
      method: "POST",
      json: {
        jobs: [
          { queue, type: "small", payload: { a: 1 } },
          { queue, type: "big", payload: payloadOf(10) },
        ],
      },
    });
    expect(batch.status).toBe(201);
    const jobs = ((await batch.json()) as { jobs: { id: string; payload: unknown }[] }).jobs;
    expect(jobs[0]?.payload).toEqual({ a: 1 });
    expect(blobRefOf(jobs[1]?.payload)).not.toBeNull();
    expect(
      ((await (await t.request(`/v1/jobs/${jobs[1]?.id}`)).json()) as { payload: unknown }).payload,
    ).toEqual(payloadOf(10));
  });

  it("refuses a payload over the blob limit, naming the field", async () => {
    const response = await t.request("/v1/jobs/batch", {
      method: "POST",
      json: { jobs: [{ type: "big", payload: payloadOf(2_100) }] },
    });
    expect(response.status).toBe(422);
    const body = (await response.json()) as { error: { issues: { path: string }[] } };
    expect(body.error.issues[0]?.path).toBe("jobs.0.payload");
  });
});
