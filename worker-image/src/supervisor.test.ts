/**
 * The supervisor (`--autoscale`) as a real process tree: a burst one worker drains
 * within the target starts nobody; a backlog of slow jobs scales it from one worker
 * to the cap, back down to one when idle (each scale-in a graceful stop); it
 * restarts a crashed worker, and stops them all on SIGTERM. Every step waits for a
 * state (a log line, the registry, counts), never for time: CI runs on 2 loaded cores.
 */
import { listWorkers, Queue } from "@rqueue/shared";
import { describe, expect, inject, it } from "vitest";
import { eventually, uniqueQueue, useRedis } from "../../shared/test/engine-fixture.js";
import { waitFor } from "./testing/wait.js";
import { startWorkerProcess, testEnv } from "./testing/worker-process.js";

const redisUrl = inject("redisUrl");
/**
 * The most one step may take: starting a worker process on 2 cores shared with other
 * suites (or a CPU hog) took over 30 s. Each wait returns as soon as its state is reached.
 */
const STEP_MS = 90_000;
const TEST_MS = 4 * STEP_MS;

describe("supervisor", () => {
  const redis = useRedis(redisUrl);

  it(
    "starts no extra process for a burst one warm worker drains within the target",
    async () => {
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
      await supervisor.waitForLog((line) => line.msg === "worker started", STEP_MS);
      // Warm: the engine has measured this queue's run time before the burst comes.
      await queue.addBulk(Array.from({ length: 200 }, () => ({ type: "noop" })));
      await eventually(async () => (await queue.counts()).total.completed === 200, STEP_MS);
      // Ticks must see the burst waiting: the supervisor reads the backlog while it drains.
      const ticked = supervisor.lines.length;
      for (let batch = 0; batch < 5; batch++) {
        await queue.addBulk(Array.from({ length: 1_000 }, () => ({ type: "noop" })));
      }
      await eventually(async () => (await queue.counts()).total.completed === 5_200, STEP_MS);
      expect(supervisor.lines.slice(ticked).filter((line) => line.msg.startsWith("scaling"))).toEqual([]);
      expect(supervisor.lines.filter((line) => line.msg === "worker process started")).toHaveLength(1);
      supervisor.child.kill("SIGTERM");
      expect((await supervisor.exited).code).toBe(0);
    },
    TEST_MS,
  );

  it(
    "scales a sustained backlog of slow jobs out to the cap, back in to one, and restarts a crashed worker",
    async () => {
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
      await supervisor.waitForLog((line) => line.msg === "worker started", STEP_MS);
      // "worker started" may be logged before its first heartbeat lands in the registry.
      await eventually(async () => (await workersOf()).length === 1, STEP_MS);

      // The backlog is held (paused queue) until all three workers are up: on a loaded machine
      // their start-up may outlast the jobs, and the pool would shrink before it ever reached 3.
      await queue.pause();
      await queue.addBulk(Array.from({ length: 120 }, () => ({ type: "sleep", payload: { ms: 200 } })));
      await supervisor.waitForLog((line) => line.msg === "scaling out" && line.to === 3, STEP_MS);
      await eventually(async () => (await workersOf()).length === 3, STEP_MS);
      await queue.resume();
      await eventually(async () => (await queue.counts()).total.completed === 120, STEP_MS);

      await supervisor.waitForLog((line) => line.msg === "scaling in" && line.to === 1, STEP_MS);
      const [last] = await waitFor(async () => {
        const workers = await workersOf();
        return workers.length === 1 ? workers : null;
      }, STEP_MS);
      // Each scaled-in worker logs its graceful stop after leaving the registry: wait for both lines.
      const stoppedGracefully = await waitFor(async () => {
        const stopped = supervisor.lines.filter((line) => line.msg === "worker stopped");
        return stopped.length >= 2 ? stopped : null;
      }, STEP_MS);
      expect(stoppedGracefully).toHaveLength(2);

      if (!last?.pid) throw new Error("no worker left to kill");
      process.kill(last.pid, "SIGKILL");
      await supervisor.waitForLog(
        (line) => line.msg === "worker process crashed; restarting" && line.signal === "SIGKILL",
        STEP_MS,
      );
      const replacement = await waitFor(
        async () => (await workersOf()).find((entry) => entry.pid !== last?.pid),
        STEP_MS,
      );
      expect(replacement.status).toBe("healthy");

      supervisor.child.kill("SIGTERM");
      expect((await supervisor.exited).code).toBe(0);
      expect((await listWorkers(redis())).filter((entry) => entry.pid === replacement.pid)).toEqual([]);
    },
    TEST_MS,
  );
});
