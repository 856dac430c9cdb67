/**
 * The supervisor (`--autoscale`) as a real process tree: it scales from one
 * worker up under a backlog, back down to one when idle (each scale-in a
 * graceful stop), restarts a crashed worker, and stops them all on SIGTERM.
 */
import { listWorkers, Queue } from "@rqueue/shared";
import { describe, expect, inject, it } from "vitest";
import { eventually, uniqueQueue, useRedis } from "../../shared/test/engine-fixture.js";
import { waitFor } from "./testing/wait.js";
import { startWorkerProcess, testEnv } from "./testing/worker-process.js";

const redisUrl = inject("redisUrl");

describe("supervisor", () => {
  const redis = useRedis(redisUrl);

  it("scales out under backlog, back in to one when idle, and restarts a crashed worker", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("scale") });
    const workersOf = async () =>
      (await listWorkers(redis())).filter(
        (entry) => entry.queues.includes(queue.name) && entry.status === "healthy",
      );
    const supervisor = startWorkerProcess(
      testEnv(redisUrl, {
        RQ_QUEUES: queue.name,
        RQ_CONCURRENCY: "2",
        RQ_AUTOSCALE_MAX: "3",
        RQ_AUTOSCALE_TARGET_BACKLOG: "5",
        RQ_AUTOSCALE_INTERVAL_MS: "200",
        RQ_AUTOSCALE_SCALE_OUT_COOLDOWN_MS: "200",
        RQ_AUTOSCALE_SCALE_IN_COOLDOWN_MS: "800",
        RQ_AUTOSCALE_RESTART_BACKOFF_MS: "100",
      }),
      ["--autoscale"],
    );
    await supervisor.waitForLog((line) => line.msg === "worker started");
    expect(await workersOf()).toHaveLength(1);

    await queue.addBulk(Array.from({ length: 60 }, () => ({ type: "sleep", payload: { ms: 200 } })));
    await supervisor.waitForLog((line) => line.msg === "scaling out" && line.to === 3);
    await eventually(async () => (await workersOf()).length === 3, 10_000);
    await eventually(async () => (await queue.counts()).total.completed === 60, 15_000);

    await supervisor.waitForLog((line) => line.msg === "scaling in" && line.to === 1, 10_000);
    const [last] = await waitFor(async () => {
      const workers = await workersOf();
      return workers.length === 1 ? workers : null;
    }, 10_000);
    const stoppedGracefully = supervisor.lines.filter((line) => line.msg === "worker stopped");
    expect(stoppedGracefully).toHaveLength(2);

    if (!last?.pid) throw new Error("no worker left to kill");
    process.kill(last.pid, "SIGKILL");
    await supervisor.waitForLog(
      (line) => line.msg === "worker process crashed; restarting" && line.signal === "SIGKILL",
    );
    const replacement = await waitFor(
      async () => (await workersOf()).find((entry) => entry.pid !== last?.pid),
      10_000,
    );
    expect(replacement.status).toBe("healthy");

    supervisor.child.kill("SIGTERM");
    expect((await supervisor.exited).code).toBe(0);
    expect((await listWorkers(redis())).filter((entry) => entry.pid === replacement.pid)).toEqual([]);
  });
});
