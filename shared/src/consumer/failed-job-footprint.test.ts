/**
 * Regression of issue 12, defect 12: what a failed job keeps in Redis is bounded.
 * Under a mix where 10 % of jobs fail with retries, each dead-lettered job kept
 * every attempt's full stack (3 KB a job, 1.6 KB of it stacks), so memory grew
 * with the failed-job cap. Now only the latest attempt keeps a stack, cut to a few
 * lines, and a job's whole error history has a byte cap.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { queueKeys } from "../keys.js";
import { Queue } from "../queue/queue.js";
import { LIMITS } from "../schemas/limits.js";
import { Consumer } from "./consumer.js";

/** An error as deep application code throws it: 30 frames of long file paths. */
function deepError(message: string): Error {
  const error = new Error(message);
  error.stack = [
    `Error: ${message}`,
    ...Array.from(
      { length: 30 },
      (_, i) =>
        `    at handler${i} (/srv/app/node_modules/some-library/dist/deeply/nested/module-${i}.js:${i}:17)`,
    ),
  ].join("\n");
  return error;
}

it("the Lua bounds are the ones LIMITS documents", () => {
  const lua = readFileSync(new URL("../scripts/includes/failure.lua", import.meta.url), "utf8");
  expect(lua).toContain(`local ERROR_HISTORY = ${LIMITS.errorHistory}\n`);
  expect(lua).toContain(`local ERROR_BYTES = ${LIMITS.errorBytes}\n`);
});

describe.each(targets)("failed-job footprint (%s)", (_name, url) => {
  const redis = useRedis(url);

  const failTimes = async (attempts: number, message: (attempt: number) => string) => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("footprint") });
    const { id } = await queue.add({
      type: "t",
      maxAttempts: attempts,
      backoff: { strategy: "fixed", delayMs: 0 },
    });
    const consumer = new Consumer({ redis: redis(), queue: queue.name, workerId: "w1" });
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const [lease] = await consumer.take(1);
      if (!lease) throw new Error(`attempt ${attempt}: nothing to take`);
      await consumer.settle([{ lease, kind: "failed", error: deepError(message(attempt)) }], 0);
    }
    const job = await queue.getJobOrThrow(id);
    const key = queueKeys(queue.name).job(id.slice(id.lastIndexOf(":") + 1));
    const errorBytes = await redis().hstrlen(key, "e");
    const hashBytes = Number(await redis().call("MEMORY", "USAGE", key, "SAMPLES", "0"));
    return { job, errorBytes, hashBytes };
  };

  it("keeps a stack on the latest attempt only, cut to a few lines", async () => {
    const { job, errorBytes, hashBytes } = await failTimes(3, (attempt) => `boom ${attempt}`);
    expect(job.state).toBe("failed");
    expect(job.errors.map((error) => error.message)).toEqual(["boom 1", "boom 2", "boom 3"]);
    expect(job.errors.slice(0, -1).map((error) => error.stack)).toEqual([undefined, undefined]);
    const stack = job.errors.at(-1)?.stack ?? "";
    expect(stack.split("\n")).toHaveLength(LIMITS.errorStackLines);
    expect(stack.startsWith("Error: boom 3\n    at handler0 ")).toBe(true);
    // Before the bound: three 30-frame stacks, over 8 KB for the errors alone.
    expect(errorBytes).toBeLessThan(1_500);
    expect(hashBytes).toBeLessThan(2_000);
  });

  it("caps a job's whole error history in bytes, dropping the oldest attempts first", async () => {
    const { job, errorBytes } = await failTimes(12, (attempt) => `${attempt}:${"é".repeat(1_990)}`);
    expect(job.state).toBe("failed");
    expect(errorBytes).toBeLessThanOrEqual(LIMITS.errorBytes);
    const kept = job.errors.map((error) => error.attempt);
    expect(kept.at(-1)).toBe(12);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 12 - kept.length + 1 + i));
    expect(kept.length).toBeLessThanOrEqual(LIMITS.errorHistory);
  });
});
