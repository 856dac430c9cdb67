/**
 * The worker as a real process against real Redis: crashes, graceful shutdown,
 * exclusive leases, and bad configuration.
 */
import { getJobLogs, listWorkers, Queue } from "@rqueue/shared";
import { describe, expect, inject, it } from "vitest";
import { eventually, sleep, uniqueQueue, useRedis } from "../../shared/test/engine-fixture.js";
import { waitFor } from "./testing/wait.js";
import { started, startWorkerProcess, testEnv, type WorkerProcess } from "./testing/worker-process.js";

const redisUrl = inject("redisUrl");
const noBackoff = { strategy: "fixed", delayMs: 0 } as const;

describe("worker process", () => {
  const redis = useRedis(redisUrl);
  const setup = () => new Queue({ redis: redis(), name: uniqueQueue("proc") });
  // The sleep handler's first log line: the job runs in the worker. "processing" in Redis is
  // not enough: a loaded worker may not have read the take's answer yet, and on a stop then
  // it rightly hands the job back instead of running it.
  const handlerStarted = (id: string) =>
    eventually(async () =>
      (await getJobLogs(redis(), id)).some((line) => line.message.startsWith("sleeping")),
    );

  it("after kill -9 mid-job, the job finishes on another worker once the lease expires", async () => {
    const queue = setup();
    const env = testEnv(redisUrl, { RQ_QUEUES: queue.name, RQ_CONCURRENCY: "1" });
    const workers = [startWorkerProcess(env), startWorkerProcess(env)];
    await Promise.all(workers.map(started));
    const { id } = await queue.add({ type: "sleep", payload: { ms: 1_500 }, backoff: noBackoff });
    const running = await waitFor(async () => {
      const job = await queue.getJobOrThrow(id);
      return job.state === "processing" ? job : null;
    });
    const holds = (worker: WorkerProcess, workerId: string | null) =>
      Boolean(workerId?.includes(`-${worker.pid}-`));
    const doomed = workers.find((worker) => holds(worker, running.workerId));
    const survivor = workers.find((worker) => worker !== doomed);
    if (!doomed || !survivor) throw new Error(`job held by an unknown worker ${running.workerId}`);
    doomed.child.kill("SIGKILL");
    expect((await doomed.exited).signal).toBe("SIGKILL");

    const done = await waitFor(async () => {
      const job = await queue.getJobOrThrow(id);
      return job.state === "completed" ? job : null;
    }, 10_000);
    expect(holds(survivor, done.workerId)).toBe(true);
    expect(done.attempts).toBe(2);
    expect(done.errors).toMatchObject([{ attempt: 1, reason: "lease-expired" }]);
    survivor.child.kill("SIGTERM");
    expect(await survivor.exited).toEqual({ code: 0, signal: null });
  });

  it("on SIGTERM drains, hands back what did not finish without using its attempt, deregisters and exits 0", async () => {
    const queue = setup();
    const worker = startWorkerProcess(
      testEnv(redisUrl, { RQ_QUEUES: queue.name, RQ_CONCURRENCY: "2", RQ_DRAIN_TIMEOUT_MS: "1000" }),
    );
    const { workerId } = (await started(worker)) as unknown as { workerId: string };
    const short = await queue.add({ type: "sleep", payload: { ms: 400 } });
    const long = await queue.add({ type: "sleep", payload: { ms: 20_000 } });
    await Promise.all([handlerStarted(short.id), handlerStarted(long.id)]);
    expect((await listWorkers(redis())).map((entry) => entry.id)).toContain(workerId);

    const signalledAt = Date.now();
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(3_000);
    expect(await queue.getJobOrThrow(short.id)).toMatchObject({ state: "completed", attempts: 1 });
    expect(await queue.getJobOrThrow(long.id)).toMatchObject({ state: "pending", attempts: 0, errors: [] });
    expect((await listWorkers(redis())).map((entry) => entry.id)).not.toContain(workerId);
    await worker.waitForLog((line) => line.msg === "worker stopped" && line.handedBack === 1);
  });

  it("exits at once on a second signal, leaving the running job to its lease", async () => {
    const queue = setup();
    const worker = startWorkerProcess(
      testEnv(redisUrl, { RQ_QUEUES: queue.name, RQ_DRAIN_TIMEOUT_MS: "20000" }),
    );
    await started(worker);
    const { id } = await queue.add({ type: "sleep", payload: { ms: 20_000 } });
    await handlerStarted(id);
    worker.child.kill("SIGTERM");
    await worker.waitForLog((line) => line.msg.startsWith("stopping"));
    // The same signal again at once counts as one delivery (a terminal and a parent relaying it).
    worker.child.kill("SIGTERM");
    await sleep(300);
    expect(worker.child.exitCode).toBeNull();
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toEqual({ code: 143, signal: null });
    expect((await queue.getJobOrThrow(id)).state).toBe("processing");
  });

  it("never runs a job on two workers at once while leases are renewed", async () => {
    const queue = setup();
    // A 2 s lease renewed every 200 ms: a worker on a loaded CI box may go unscheduled for
    // a second or more (with 500 ms leases one did, its lease expired and the job ran
    // again, rightly); this test is about renewals, not about surviving starvation.
    const env = testEnv(redisUrl, {
      RQ_QUEUES: queue.name,
      RQ_CONCURRENCY: "4",
      RQ_LEASE_MS: "2000",
      RQ_HEARTBEAT_MS: "200",
    });
    const workers = [startWorkerProcess(env), startWorkerProcess(env)];
    await Promise.all(workers.map(started));
    // Each job outlives its lease, so only renewals keep it where it is.
    const added = await queue.addBulk(
      Array.from({ length: 16 }, () => ({ type: "sleep", payload: { ms: 2_500 } })),
    );
    await eventually(async () => (await queue.counts()).total.completed === 16, 60_000);

    const holders = new Set<string | null>();
    for (const { id } of added) {
      const job = await queue.getJobOrThrow(id);
      holders.add(job.workerId);
      expect(job).toMatchObject({ attempts: 1, errors: [] });
      expect((await getJobLogs(redis(), id)).map((line) => [line.attempt, line.message])).toEqual([
        [1, "sleeping 2500 ms"],
        [1, "woke up"],
      ]);
    }
    expect(holders.size).toBe(2);
    for (const worker of workers) worker.child.kill("SIGTERM");
    for (const worker of workers) expect((await worker.exited).code).toBe(0);
  });

  it("refuses an invalid environment with a clear message and exit code 1", async () => {
    const worker = startWorkerProcess({
      REDIS_URL: "http://localhost",
      RQ_CONCURRENCY: "lots",
      RQ_QUEUES: "default:3,bad{name}",
    });
    expect((await worker.exited).code).toBe(1);
    expect(worker.stderr()).toContain("rqueue-worker: invalid configuration:");
    expect(worker.stderr()).toContain(
      "REDIS_URL: must be a redis://, rediss://, redis-cluster:// or rediss-cluster:// URL",
    );
    expect(worker.stderr()).toContain('RQ_CONCURRENCY: must be a whole number from 1 to 1000 (got "lots")');
    expect(worker.stderr()).toContain('"bad{name}" is not <queue>[:<weight>]');

    const unknownFlag = startWorkerProcess({}, ["--bogus"]);
    expect((await unknownFlag.exited).code).toBe(1);
    expect(unknownFlag.stderr()).toContain("unknown arguments: --bogus");
  });
});
