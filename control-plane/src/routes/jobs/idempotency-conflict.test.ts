import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp, uniqueQueue } from "../../testing/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
});
afterAll(() => t.close());

interface Conflict {
  error: {
    code: string;
    message: string;
    existingJobId: string;
    existingFingerprint: string;
    fingerprint: string;
  };
}

describe("reusing an idempotency key with a different body", () => {
  it("answers 409 with both jobs' fingerprints, for one job and in a batch; the same body still answers 200", async () => {
    const queue = uniqueQueue("idem");
    const submit = (payload: unknown) =>
      t.request("/v1/jobs", {
        method: "POST",
        headers: { "Idempotency-Key": "order-9" },
        json: { type: "charge", queue, payload },
      });
    const first = await submit({ cents: 100 });
    expect(first.status).toBe(201);
    const { id } = (await first.json()) as { id: string };

    const conflict = await submit({ cents: 250 });
    expect(conflict.status).toBe(409);
    const body = (await conflict.json()) as Conflict;
    expect(body.error).toMatchObject({
      code: "idempotency_conflict",
      existingJobId: id,
      idempotencyKey: "order-9",
    });
    expect(body.error.existingFingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(body.error.fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(body.error.fingerprint).not.toBe(body.error.existingFingerprint);

    const batch = await t.request("/v1/jobs/batch", {
      method: "POST",
      json: { jobs: [{ type: "charge", queue, payload: { cents: 7 }, idempotencyKey: "order-9" }] },
    });
    expect(batch.status).toBe(409);
    expect(((await batch.json()) as Conflict).error.existingFingerprint).toBe(body.error.existingFingerprint);

    const same = await submit({ cents: 100 });
    expect(same.status).toBe(200);
    expect(same.headers.get("idempotent-replayed")).toBe("true");
  });
});
