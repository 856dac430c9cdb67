/**
 * Where a worker's handlers come from: definitions handed over by a program of
 * one's own (`startWorker(config, { handlers })`), or a folder named by
 * RQ_HANDLERS_DIR that replaces the built-in ones. Both run real jobs on Redis.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Queue } from "@rqueue/shared";
import * as v from "valibot";
import { describe, expect, inject, it } from "vitest";
import { uniqueQueue, useRedis } from "../../shared/test/engine-fixture.js";
import { scratchDirs } from "../../shared/test/scratch-dirs.js";
import { parseConfig } from "./config.js";
import { loadHandlers, registryOf } from "./handler-registry.js";
import { defineHandler } from "./index.js";
import { startTestWorker, testConfig } from "./testing/in-process.js";
import { waitFor } from "./testing/wait.js";

const scratch = scratchDirs();

const redisUrl = inject("redisUrl");

const greet = defineHandler({
  type: "greet",
  payload: v.object({ name: v.string() }),
  handle: (job) => ({ greeting: `hello ${job.payload.name}` }),
});

describe("handlers handed over in code", () => {
  const redis = useRedis(redisUrl);

  it("runs them, and only them", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("own") });
    const worker = await startTestWorker(testConfig(redisUrl, { RQ_QUEUES: queue.name }), {
      handlers: [greet],
    });
    expect(worker.manager.concurrencyByQueue).toEqual({ [queue.name]: 50 });
    const { id } = await queue.add({ type: "greet", payload: { name: "Ada" } });
    const job = await waitFor(async () => {
      const current = await queue.getJob(id);
      return current?.state === "completed" && current;
    });
    expect(job.result).toEqual({ greeting: "hello Ada" });
  });

  it("refuses an invalid definition, a duplicate type and a thread-isolated one, naming it", () => {
    expect(() => registryOf([{ ...greet, type: "Bad Type" }])).toThrow(
      /handler #1 \(Bad Type\) is invalid: type/,
    );
    expect(() => registryOf([greet, greet])).toThrow(/job type "greet" is defined twice/);
    expect(() => registryOf([{ ...greet, isolation: "thread" }])).toThrow(/put it in a handlers folder/);
    expect(() => registryOf([])).toThrow(/no job handlers given/);
  });
});

describe("RQ_HANDLERS_DIR", () => {
  const redis = useRedis(redisUrl);

  it("names a folder whose handlers replace the built-in ones", async () => {
    const dir = scratch("rq-own-handlers-");
    writeFileSync(
      join(dir, "shout.mjs"),
      `export default {
        type: "shout",
        payload: { kind: "schema", "~run": (dataset) => ({ ...dataset, typed: true }) },
        handle: (job) => String(job.payload.text).toUpperCase(),
      };\n`,
    );
    const queue = new Queue({ redis: redis(), name: uniqueQueue("dir") });
    const config = testConfig(redisUrl, { RQ_QUEUES: queue.name, RQ_HANDLERS_DIR: dir });
    expect(config.handlersDir).toBe(dir);
    expect([...(await loadHandlers(dir)).keys()]).toEqual(["shout"]);
    await startTestWorker(config);
    const { id } = await queue.add({ type: "shout", payload: { text: "hi" } });
    const job = await waitFor(async () => {
      const current = await queue.getJob(id);
      return current?.state === "completed" && current;
    });
    expect(job.result).toBe("HI");
  });

  it("is resolved against the working directory, and a missing folder fails the start with its path", async () => {
    const parsed = parseConfig({ RQ_HANDLERS_DIR: "handlers" });
    expect(parsed.ok && parsed.config.handlersDir).toBe(join(process.cwd(), "handlers"));
    await expect(loadHandlers("/nonexistent/handlers")).rejects.toThrow(
      /cannot read the handlers folder \/nonexistent\/handlers/,
    );
  });
});
