/**
 * What the worker advertises: JSON Schemas generated from the real handlers'
 * valibot schemas (never stricter than them), and the heartbeat writing them to
 * the type registry of every queue it serves, then withdrawing on stop.
 */
import { join } from "node:path";
import { listRegisteredTypes } from "@rqueue/shared";
import { describe, expect, inject, it } from "vitest";
import { uniqueQueue, useRedis } from "../../shared/test/engine-fixture.js";
import { scratchDirs } from "../../shared/test/scratch-dirs.js";
import { loadHandlers } from "./handler-registry.js";
import { Heartbeat } from "./heartbeat.js";
import { waitFor } from "./testing/wait.js";
import { advertisements } from "./type-advertisement.js";

const scratch = scratchDirs();

describe("type advertisements", () => {
  const redis = useRedis(inject("redisUrl"));

  it("derive each built-in type's payload schema and defaults from its handler", async () => {
    const ads = new Map(advertisements(await loadHandlers()).map((ad) => [ad.type, ad]));
    expect(ads.get("sleep")?.schema).toMatchObject({
      type: "object",
      properties: { ms: { type: "integer", minimum: 0, maximum: 86_400_000 } },
      required: ["ms"],
    });
    // v.object keeps unknown keys out of the output but accepts them: the JSON Schema must too.
    expect(ads.get("noop")?.schema).not.toHaveProperty("additionalProperties", false);
    expect(ads.get("cpu")?.defaults).toMatchObject({
      isolation: "thread",
      timeoutMs: 300_000,
      maxAttempts: 3,
    });
    expect(ads.get("echo")?.schemaVersion).toMatch(/^[0-9a-f]{16}$/);
  });

  it("are advertised on every queue with each beat and withdrawn on stop", async () => {
    const queues = [uniqueQueue("ads"), uniqueQueue("ads")];
    const workerId = `ads-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const heartbeat = new Heartbeat({
      redis: redis(),
      workerId,
      version: "0.0.0",
      queues,
      concurrency: 1,
      heartbeatMs: 100,
      healthFile: join(scratch("rq-ads-"), "health"),
      counters: () => ({ activeJobs: 0, processed: 0, failed: 0 }),
      types: advertisements(await loadHandlers()),
      onError: (error) => {
        throw error;
      },
    });
    await heartbeat.start();
    for (const queue of queues) {
      const sleep = await waitFor(async () =>
        (await listRegisteredTypes(redis(), queue)).find((entry) => entry.type === "sleep"),
      );
      expect(sleep.workers).toEqual([workerId]);
    }
    await heartbeat.stop();
    const after = await listRegisteredTypes(redis(), queues[0] as string);
    expect(after.find((entry) => entry.type === "sleep")?.workers).toEqual([]);
  });
});
