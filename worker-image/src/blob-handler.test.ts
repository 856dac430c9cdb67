/**
 * Large values at the worker's boundary, on a real Redis: the handler receives
 * the payload behind a reference, a large result goes to the store with only its
 * reference in Redis, and a payload whose blob is gone dead-letters the job.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConsumeLoop, Consumer, createRedis, Queue, type RedisClient } from "@rqueue/shared";
import { blobRefOf, LocalBlobStore, offloadValue, resolveValue } from "@rqueue/shared/blobs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { withBlobOffload } from "./blob-handler.js";

let redis: RedisClient;
const dir = mkdtempSync(join(tmpdir(), "rq-worker-blobs-"));
const blobs = { store: new LocalBlobStore(dir), thresholdBytes: 2_048, maxBytes: 4 * 1024 * 1024 };

beforeAll(() => {
  redis = createRedis(inject("redisUrl"));
});
afterAll(() => {
  redis?.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

const big = (n: number) => ({ items: Array.from({ length: n }, (_, i) => `item-${i}-${"z".repeat(200)}`) });

async function finalJob(queue: Queue, id: string) {
  for (let i = 0; i < 400; i++) {
    const job = await queue.getJob(id);
    if (job && (job.state === "completed" || job.state === "failed")) return job;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${id} did not finish`);
}

describe("worker blob offload", () => {
  it("hands the handler the whole payload and stores a large result by reference", async () => {
    const name = `wblobs-${Date.now().toString(36)}`;
    const queue = new Queue({ redis, name });
    const payload = big(100);
    const ref = await offloadValue(blobs, "payload", payload);
    const missing = await offloadValue(blobs, "payload", big(20));
    await blobs.store.deleteDaysBefore("9999-01-01");
    const stillThere = await offloadValue(blobs, "payload", payload);
    expect(blobRefOf(ref)).not.toBeNull();
    const [ok, gone] = await queue.addBulk([
      { type: "echo", payload: stillThere },
      { type: "echo", payload: missing },
    ]);
    const seen: unknown[] = [];
    const loop = new ConsumeLoop({
      consumer: new Consumer({ redis, queue: name, workerId: "blob-worker" }),
      concurrency: 2,
      handler: withBlobOffload(async (job) => {
        seen.push(job.payload);
        return { echoed: job.payload };
      }, blobs),
    });
    loop.start();
    try {
      const done = await finalJob(queue, ok?.id as string);
      expect(done.state).toBe("completed");
      expect(seen[0]).toEqual(payload);
      expect(blobRefOf(done.result)).not.toBeNull();
      expect(await resolveValue(blobs.store, done.result)).toEqual({ echoed: payload });
      const failed = await finalJob(queue, gone?.id as string);
      expect(failed.state).toBe("failed");
      expect(failed.lastError?.message).toContain("payload unavailable");
    } finally {
      await loop.stop(2_000);
    }
  });
});
