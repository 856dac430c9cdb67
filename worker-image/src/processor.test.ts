/**
 * The processor answers a handler that returns at once without a promise, and
 * makes the parts of the context only when the handler uses them: what a handler
 * sees must not change with that. Log lines are sent before the outcome is
 * reported, whether the handler returned, threw at once or rejected; a
 * destructured context works.
 */
import { getJobLogs, Queue } from "@rqueue/shared";
import * as v from "valibot";
import { describe, expect, inject, it } from "vitest";
import { uniqueQueue, useRedis } from "../../shared/test/engine-fixture.js";
import { defineHandler } from "./index.js";
import { startTestWorker, testConfig } from "./testing/in-process.js";
import { waitFor } from "./testing/wait.js";

const redisUrl = inject("redisUrl");

const logged = defineHandler({
  type: "logged",
  payload: v.object({ how: v.picklist(["return", "throw", "reject"]) }),
  handle: (job, { log, attempt, signal }) => {
    log(`attempt ${attempt}, aborted ${signal.aborted}`);
    log(job.payload.how);
    if (job.payload.how === "throw") throw new Error("thrown at once");
    if (job.payload.how === "reject") return Promise.reject(new Error("rejected"));
    return { done: true };
  },
});

describe("processor", () => {
  const redis = useRedis(redisUrl);

  it("has a job's log lines written by the time its outcome is recorded, however the handler ended", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("proc") });
    await startTestWorker(testConfig(redisUrl, { RQ_QUEUES: queue.name }), { handlers: [logged] });
    const jobs = await queue.addBulk(
      (["return", "throw", "reject"] as const).map((how) => ({
        type: "logged",
        payload: { how },
        maxAttempts: 1,
      })),
    );
    const [returned, thrown, rejected] = await Promise.all(
      jobs.map(({ id }) =>
        waitFor(async () => {
          const job = await queue.getJob(id);
          if (job?.state !== "completed" && job?.state !== "failed") return false;
          // Read at once: the lines must already be there.
          return { job, lines: (await getJobLogs(redis(), id)).map((entry) => entry.message) };
        }),
      ),
    );
    expect(returned?.job).toMatchObject({ state: "completed", result: { done: true } });
    expect(returned?.lines).toEqual(["attempt 1, aborted false", "return"]);
    expect(thrown?.job).toMatchObject({ state: "failed", lastError: { message: "thrown at once" } });
    expect(thrown?.lines).toEqual(["attempt 1, aborted false", "throw"]);
    expect(rejected?.job).toMatchObject({ state: "failed", lastError: { message: "rejected" } });
    expect(rejected?.lines).toEqual(["attempt 1, aborted false", "reject"]);
  });
});
