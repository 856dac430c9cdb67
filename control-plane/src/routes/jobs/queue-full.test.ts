/**
 * The memory budget through HTTP (RQ_QUEUE_MAX_BYTES): a submission the budget cannot
 * take answers 429 `queue_full` in the error shape, naming the queue, its budget and
 * the bytes it holds, and writes nothing; in a batch spanning queues only the full
 * queue's share is refused (207). The accounted bytes show in /v1/queues, /v1/metrics
 * and /metrics.
 */
import { JOB_OVERHEAD_BYTES, type QueueGauges } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp, uniqueQueue } from "../../testing/test-app.js";

/** One job with the default payload `{}`, as the budget counts it. */
const JOB = JOB_OVERHEAD_BYTES + 2;
const BUDGET = JOB * 2;

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"), { RQ_QUEUE_MAX_BYTES: String(BUDGET) });
});
afterAll(() => t.close());

async function gaugesOf(queue: string): Promise<QueueGauges | undefined> {
  const { queues } = (await (await t.request("/v1/queues")).json()) as { queues: QueueGauges[] };
  return queues.find((entry) => entry.name === queue);
}

describe("queue memory budget over HTTP", () => {
  it("answers 429 queue_full in the error shape and writes nothing", async () => {
    const queue = uniqueQueue("full");
    expect((await t.request("/v1/jobs", { method: "POST", json: { type: "a", queue } })).status).toBe(201);

    const res = await t.request("/v1/jobs/batch", {
      method: "POST",
      json: {
        jobs: [
          { type: "a", queue },
          { type: "b", queue },
        ],
      },
    });
    expect(res.status).toBe(429);
    const body = (await res.json()) as { error: Record<string, unknown> };
    expect(body).toEqual({
      error: {
        code: "queue_full",
        message: `queue ${queue} holds ${JOB} bytes of its ${BUDGET}-byte budget (maxQueueBytes); these jobs need ${JOB * 2} more: nothing was written`,
        issues: [],
        queue,
        maxBytes: BUDGET,
        bytes: JOB,
        requestedBytes: JOB * 2,
      },
    });
    expect(await gaugesOf(queue)).toMatchObject({
      bytes: JOB,
      maxBytes: BUDGET,
      counts: { pending: 1 },
      countsByType: { a: { pending: 1 } },
    });

    const single = await t.request("/v1/jobs", { method: "POST", json: { type: "a", queue, payload: [1] } });
    expect(single.status).toBe(429);

    const snapshot = (await (await t.request(`/v1/metrics?queue=${queue}`)).json()) as {
      queues: Record<string, { bytes: number; maxBytes: number }>;
    };
    expect(snapshot.queues[queue]).toMatchObject({ bytes: JOB, maxBytes: BUDGET });
    const scrape = await (await t.request("/metrics")).text();
    expect(scrape).toContain(`rqueue_queue_bytes{queue="${queue}"} ${JOB}`);
    expect(scrape).toContain(`rqueue_queue_max_bytes{queue="${queue}"} ${BUDGET}`);
  });

  it("refuses only the full queue's share of a batch spanning queues (207)", async () => {
    const full = uniqueQueue("full");
    const roomy = uniqueQueue("roomy");
    await t.request("/v1/jobs/batch", {
      method: "POST",
      json: {
        jobs: [
          { type: "a", queue: full },
          { type: "a", queue: full },
        ],
      },
    });
    const res = await t.request("/v1/jobs/batch", {
      method: "POST",
      json: {
        jobs: [
          { type: "a", queue: full },
          { type: "a", queue: roomy },
        ],
      },
    });
    expect(res.status).toBe(207);
    const body = (await res.json()) as { jobs: unknown[]; queues: Record<string, unknown>[] };
    expect(body.jobs[0]).toBeNull();
    expect(body.queues).toEqual([
      {
        queue: full,
        status: 429,
        created: 0,
        error: expect.objectContaining({ code: "queue_full", queue: full, maxBytes: BUDGET, bytes: BUDGET }),
      },
      { queue: roomy, status: 201, created: 1 },
    ]);
    expect((await gaugesOf(full))?.counts.pending).toBe(2);
  });
});
