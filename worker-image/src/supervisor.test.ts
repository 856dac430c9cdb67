/**
 * The supervisor (`--autoscale`) as a real process tree: a burst one worker drains
 * within the target starts nobody; a backlog of slow jobs scales it from one worker
 * to the cap, back down to one when idle (each scale-in a graceful stop); it
 * restarts a crashed worker, and stops them all on SIGTERM.
 */
import { listWorkers, Queue } from "@rqueue/shared";
import { describe, expect, inject, it } from "vitest";
import { eventually, uniqueQueue, useRedis } from "../../shared/test/engine-fixture.js";
import { waitFor } from "./testing/wait.js";
import { startWorkerProcess, testEnv } from "./testing/worker-process.js";

const redisUrl = inject("redisUrl");

describe("supervisor", () => {
  const redis = useRedis(redisUrl);

  it("starts no extra process for a burst one warm worker drains within the target", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("burst") });
    const supervisor = startWorkerProcess(
      testEnv(redisUrl, {
        RQ_QUEUES: queue.name,
        // Were the burst misjudged, the pool would grow to 3 (the old backlog ÷ 100 rule asked for 10).
        RQ_AUTOSCALE_MAX: "3",
        RQ_AUTOSCALE_INTERVAL_MS: "100",
        RQ_AUTOSCALE_SCALE_OUT_COOLDOWN_MS: "0",
      }),
      ["--autoscale"],
    );
    await supervisor.waitForLog((line) => line.msg === "worker started");
    // Warm: the engine has measured this queue's run time before the burst comes.
    await queue.addBulk(Array.from({ length: 200 }, () => ({ type: "noop" })));
    await eventually(async () => (await queue.counts()).total.completed === 200, 15_000);
    // Ticks must see the burst waiting: the supervisor reads the backlog while it drains.
    const ticked = supervisor.lines.length;
    for (let batch = 0; batch < 5; batch++) {
      await queue.addBulk(Array.from({ length: 1_000 }, () => ({ type: "noop" })));
    }
    await eventually(async () => (await queue.counts()).total.completed === 5_200, 30_000);
    expect(supervisor.lines.slice(ticked).filter((line) => line.msg.startsWith("scaling"))).toEqual([]);
    expect(supervisor.lines.filter((line) => line.msg === "worker process started")).toHaveLength(1);
    supervisor.child.kill("SIGTERM");
    expect((await supervisor.exited).code).toBe(0);
  });

  it("scales a sustained backlog of slow jobs out to the cap, back in to one, and restarts a crashed worker", async () => {
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
        // 120 jobs × 0.2 s on 2 slots is 12 s of one worker's time: 3 workers (the cap) to drain in 1 s.
        RQ_AUTOSCALE_TARGET_DRAIN_SECONDS: "1",
        RQ_AUTOSCALE_INTERVAL_MS: "200",
        RQ_AUTOSCALE_SCALE_OUT_COOLDOWN_MS: "200",
        RQ_AUTOSCALE_SCALE_IN_COOLDOWN_MS: "800",
        RQ_AUTOSCALE_RESTART_BACKOFF_MS: "100",
      }),
      ["--autoscale"],
    );
    await supervisor.waitForLog((line) => line.msg === "worker started");
    expect(await workersOf()).toHaveLength(1);

    await queue.addBulk(Array.from({ length: 120 }, () => ({ type: "sleep", payload: { ms: 200 } })));
    await supervisor.waitForLog((line) => line.msg === "scaling out" && line.to === 3);
    await eventually(async () => (await workersOf()).length === 3, 15_000);
    await eventually(async () => (await queue.counts()).total.completed === 120, 30_000);

    await supervisor.waitForLog((line) => line.msg === "scaling in" && line.to === 1, 15_000);
    const [last] = await waitFor(async () => {
      const workers = await workersOf();
      return workers.length === 1 ? workers : null;
    }, 10_000);
    // Each scaled-in worker logs its graceful stop after leaving the registry: wait for both lines.
    const stoppedGracefully = await waitFor(async () => {
      const stopped = supervisor.lines.filter((line) => line.msg === "worker stopped");
      return stopped.length >= 2 ? stopped : null;
    }, 10_000);
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
