import { Consumer, type Job } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp, uniqueQueue } from "../../testing/test-app.js";

const clusterUrl = inject("redisClusterUrl");
let t: TestApp;
beforeAll(async () => {
  if (clusterUrl) t = await createTestApp(clusterUrl);
});
afterAll(() => t?.close());

describe.skipIf(!clusterUrl)("job routes on Redis Cluster", () => {
  it("submits, reads, lists, waits, batches, cancels and reports queues across slots", async () => {
    const queues = [uniqueQueue("c1"), uniqueQueue("c2"), uniqueQueue("c3")];
    const batch = await t.request("/v1/jobs/batch", {
      method: "POST",
      json: {
        jobs: queues.flatMap((queue) => [
          { type: "a", queue },
          { type: "b", queue },
        ]),
      },
    });
    expect(batch.status).toBe(201);
    const [first] = ((await batch.json()) as { jobs: Job[] }).jobs;

    const single = await t.request("/v1/jobs", {
      method: "POST",
      headers: { "Idempotency-Key": "once" },
      json: { type: "a", queue: queues[1] },
    });
    expect(single.status).toBe(201);
    const replay = await t.request("/v1/jobs", {
      method: "POST",
      headers: { "Idempotency-Key": "once" },
      json: { type: "a", queue: queues[1] },
    });
    expect(replay.status).toBe(200);

    for (const queue of queues) {
      const page = (await (await t.request(`/v1/jobs?queue=${queue}&state=pending&limit=1`)).json()) as {
        items: Job[];
        nextCursor: string;
      };
      expect(page.items).toHaveLength(1);
      const next = (await (
        await t.request(`/v1/jobs?queue=${queue}&state=pending&cursor=${page.nextCursor}`)
      ).json()) as {
        items: Job[];
      };
      expect(next.items.length).toBeGreaterThanOrEqual(1);
    }

    const job = first as Job;
    const waiting = t.request(`/v1/jobs/${job.id}/wait?timeoutMs=10000`);
    const consumer = new Consumer({
      redis: t.redis,
      queue: job.queue,
      workerId: "cluster-worker",
      types: ["a"],
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const [lease] = (await consumer.settle([], 1)).taken;
    await consumer.settle([{ lease: lease as NonNullable<typeof lease>, kind: "completed", result: 7 }], 0);
    expect(await (await waiting).json()).toMatchObject({ id: job.id, state: "completed", result: 7 });
    await consumer.close();

    const other = (await (await t.request(`/v1/jobs?queue=${queues[2]}&state=pending`)).json()) as {
      items: Job[];
    };
    expect((await t.request(`/v1/jobs/${other.items[0]?.id}/cancel`, { method: "POST" })).status).toBe(200);

    const listed = (await (await t.request("/v1/queues")).json()) as { queues: { name: string }[] };
    expect(listed.queues.map((q) => q.name)).toEqual(expect.arrayContaining(queues));
    expect((await t.request(`/v1/metrics?queue=${queues[0]}`)).status).toBe(200);
    expect((await t.request("/metrics")).status).toBe(200);
  });
});
