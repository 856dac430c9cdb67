/**
 * Firing on real Redis (standalone and Cluster): exactly one job per due time with
 * several firing loops at once and across restarts of all of them, the misfire and
 * overlap policies, end and limit. Tests wait for states (runs recorded, Redis's
 * clock past a due time), never for a fixed time.
 */
import { afterEach, describe, expect, it } from "vitest";
import { eventually, targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { startRedisServer } from "../../test/redis-harness.js";
import { Consumer } from "../consumer/consumer.js";
import { Queue } from "../queue/queue.js";
import { createRedis, type RedisClient } from "../redis/connection.js";
import type { ScheduleInput } from "../schemas/schedule-input.js";
import { scheduleRunKey } from "./fire-schedules.js";
import { QueueSchedules } from "./queue-schedules.js";

async function redisNow(redis: RedisClient): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/** A firing loop as a control plane runs it, on a connection of its own. */
function startFiring(url: string, queueName: string) {
  const redis = createRedis(url);
  const schedules = new QueueSchedules(new Queue({ redis, name: queueName }));
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      // As the control plane's loop does: a failed round (Redis down) is retried next time.
      await schedules.fireDue().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return async () => {
    stopped = true;
    await done;
    await redis.quit();
  };
}

/** The due time of every job the schedule started, from its idempotency key, sorted. */
async function dueTimesOfJobs(queue: Queue, scheduleId: string): Promise<number[]> {
  const page = await queue.list({ state: "pending", limit: 200 });
  return page.items
    .map((job) => job.idempotencyKey ?? "")
    .filter((key) => key.startsWith(`rq-schedule:${scheduleId}:`))
    .map((key) => Number(key.split(":").pop()))
    .sort((a, b) => a - b);
}

/** Deletes a queue's schedules, so no firing loop of the test run keeps starting their jobs. */
async function deleteAll(schedules: QueueSchedules): Promise<void> {
  for (const schedule of (await schedules.list({ limit: 200 })).items) await schedules.delete(schedule.id);
}

function expectEveryStep(times: number[], stepMs: number) {
  expect(new Set(times).size).toBe(times.length);
  for (let i = 1; i < times.length; i++) expect((times[i] as number) - (times[i - 1] as number)).toBe(stepMs);
}

describe.each(targets)("schedule firing (%s)", (_name, url) => {
  const redis = useRedis(url);
  const stops: (() => Promise<void>)[] = [];
  const made: QueueSchedules[] = [];
  afterEach(async () => {
    await Promise.all(stops.splice(0).map((stop) => stop()));
    // Every control plane of the test run fires every queue's schedules: leave none behind.
    for (const schedules of made.splice(0)) await deleteAll(schedules);
  });

  const setup = (label: string) => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue(label) });
    const schedules = new QueueSchedules(queue);
    made.push(schedules);
    return { queue, schedules };
  };
  const runs = async (schedules: QueueSchedules, id: string) => (await schedules.getOrThrow(id)).runs;

  it("two firing loops never start a due time twice, and leave no gap", async () => {
    const { queue, schedules } = setup("sched-two");
    await schedules.create({ id: "tick", everyMs: 1_000, misfire: "runAll", job: { type: "tick" } });
    stops.push(startFiring(url, queue.name), startFiring(url, queue.name));
    await eventually(async () => (await runs(schedules, "tick")) >= 4, 20_000);
    await Promise.all(stops.splice(0).map((stop) => stop()));

    const schedule = await schedules.getOrThrow("tick");
    const times = await dueTimesOfJobs(queue, "tick");
    expect(times.length).toBe(schedule.runs);
    expect((await queue.counts()).total.pending).toBe(schedule.runs);
    expectEveryStep(times, 1_000);
    expect(schedule.lastRuns.map((run) => Date.parse(run.dueAt)).reverse()).toEqual(times);
    expect(Date.parse(schedule.nextRunAt as string)).toBe((times[times.length - 1] as number) + 1_000);
  });

  it("a cron schedule runs each due time once across a restart of every firing process", async () => {
    const { queue, schedules } = setup("sched-restart");
    await schedules.create({
      id: "every-second",
      cron: "* * * * * *",
      misfire: "runAll",
      job: { type: "tick" },
    });
    stops.push(startFiring(url, queue.name), startFiring(url, queue.name));
    await eventually(async () => (await runs(schedules, "every-second")) >= 2, 20_000);
    await Promise.all(stops.splice(0).map((stop) => stop()));

    // A round that died between adding its job and advancing: the job exists, the schedule did not move.
    const hash = await redis().hgetall(queue.context.keys.schedules.of("every-second"));
    const pendingDue = Number(hash.n);
    const orphan = await queue.add({
      type: "tick",
      payload: {},
      idempotencyKey: scheduleRunKey("every-second", hash.e as string, pendingDue),
    });
    // Every process is down while more due times pass.
    await eventually(async () => (await redisNow(redis())) >= pendingDue + 2_500, 20_000);
    const before = await runs(schedules, "every-second");

    stops.push(startFiring(url, queue.name), startFiring(url, queue.name));
    await eventually(async () => (await runs(schedules, "every-second")) >= before + 5, 20_000);
    await Promise.all(stops.splice(0).map((stop) => stop()));

    const times = await dueTimesOfJobs(queue, "every-second");
    expectEveryStep(times, 1_000);
    expect(times).toContain(pendingDue);
    const schedule = await schedules.getOrThrow("every-second");
    expect(times.length).toBe(schedule.runs);
    expect(schedule.lastRuns.map((run) => run.jobId)).toContain(orphan.id);
    expect(schedule.misfired).toBe(0);
  });

  /**
   * Ten due times missed: the schedule is created an hour out (so no firing loop can touch it
   * yet), then rewritten in one MULTI as if created 10.5 intervals ago with `everyMs`, and one
   * round runs. The due times sit half an interval off the clock on both sides: the last missed
   * one is long past any grace of 0, and the real next one is far from due, whichever loop fires.
   * Firing loops of other suites' control planes may run that round instead (they fire every
   * queue's schedules): they decide the same, so the test judges only the due times before next.
   */
  async function afterDowntime(definition: Omit<ScheduleInput, "job" | "everyMs"> & { everyMs: number }) {
    const { queue, schedules } = setup("sched-misfire");
    const every = definition.everyMs;
    await schedules.create({ id: "s", job: { type: "t" }, ...definition, everyMs: 3_600_000 });
    const { keys } = queue.context;
    const stored = JSON.parse((await redis().hget(keys.schedules.of("s"), "d")) as string);
    const anchor = (await redisNow(redis())) - 10.5 * every;
    await redis()
      .multi()
      .hset(
        keys.schedules.of("s"),
        "d",
        JSON.stringify({ ...stored, everyMs: every }),
        "a",
        anchor,
        "n",
        anchor + every,
      )
      .zadd(keys.schedules.due, anchor + every, "s")
      .exec();
    await schedules.fireDue();
    const next = anchor + 11 * every;
    const missed = (await dueTimesOfJobs(queue, "s")).filter((due) => due < next);
    return { next, missed, schedule: await schedules.getOrThrow("s") };
  }

  it("misfire runOnce starts one job for the due times missed, the latest", async () => {
    const { next, missed, schedule } = await afterDowntime({
      everyMs: 10_000,
      misfire: "runOnce",
      misfireGraceMs: 0,
    });
    expect(missed).toEqual([next - 10_000]);
    expect(schedule.misfired).toBeGreaterThanOrEqual(9);
  });

  it("misfire skip starts none of them, runAll the latest maxCatchUp", async () => {
    const skipped = await afterDowntime({ everyMs: 10_000, misfire: "skip", misfireGraceMs: 0 });
    expect(skipped.missed).toEqual([]);
    expect(skipped.schedule.misfired).toBeGreaterThanOrEqual(10);

    const all = await afterDowntime({ everyMs: 10_000, misfire: "runAll", maxCatchUp: 3, misfireGraceMs: 0 });
    expect(all.missed).toEqual([all.next - 30_000, all.next - 20_000, all.next - 10_000]);
    expect(all.schedule.misfired).toBeGreaterThanOrEqual(7);

    // Within the grace, a late due time is no misfire: every one of them starts.
    const late = await afterDowntime({ everyMs: 10_000, misfire: "skip", misfireGraceMs: 200_000 });
    expect(late.missed).toHaveLength(10);
    expect(late.schedule.misfired).toBe(0);
  });

  it("overlap skip starts nothing while the previous run is unfinished", async () => {
    const { queue, schedules } = setup("sched-overlap");
    await schedules.create({ id: "slow", everyMs: 1_000, overlap: "skip", job: { type: "slow" } });
    stops.push(startFiring(url, queue.name));
    await eventually(async () => (await schedules.getOrThrow("slow")).overlapSkipped >= 2, 20_000);
    expect(await runs(schedules, "slow")).toBe(1);

    const worker = new Consumer({ redis: redis(), queue: queue.name, workerId: "w" });
    const [lease] = await worker.take(1);
    expect(lease).toBeDefined();
    if (!lease) return;
    await worker.settle([{ lease, kind: "completed", result: null }], 0);
    await eventually(async () => (await runs(schedules, "slow")) === 2, 20_000);
    const schedule = await schedules.getOrThrow("slow");
    expect(schedule.lastRuns.map((run) => run.state)).toEqual(["pending", "completed"]);
  });

  it("a limit and an end finish the schedule", async () => {
    const { queue, schedules } = setup("sched-limit");
    const now = await redisNow(redis());
    await schedules.create({ id: "twice", everyMs: 1_000, limit: 2, job: { type: "t" } });
    await schedules.create({ id: "ends", everyMs: 1_000, endAt: now + 2_500, job: { type: "t" } });
    stops.push(startFiring(url, queue.name));
    await eventually(async () => {
      const [twice, ends] = await Promise.all([schedules.getOrThrow("twice"), schedules.getOrThrow("ends")]);
      return twice.status === "finished" && ends.status === "finished";
    }, 20_000);
    for (const id of ["twice", "ends"]) {
      const schedule = await schedules.getOrThrow(id);
      expect(schedule).toMatchObject({ runs: 2, nextRunAt: null, nextRuns: [] });
      expect(await dueTimesOfJobs(queue, id)).toHaveLength(2);
    }
    expect(await redis().zcard(queue.context.keys.schedules.due)).toBe(0);
  });
});

describe("schedule firing across a crash of Redis (standalone, AOF always)", () => {
  it("runs each due time once while Redis is killed and restarted under two firing loops", async () => {
    const server = await startRedisServer({ appendonly: true, appendfsync: "always" });
    const redis = createRedis(server.url);
    redis.on("error", () => {});
    const stops: (() => Promise<void>)[] = [];
    try {
      const queue = new Queue({ redis, name: uniqueQueue("sched-crash") });
      const schedules = new QueueSchedules(queue);
      await schedules.create({ id: "tick", everyMs: 1_000, misfire: "runAll", job: { type: "tick" } });
      stops.push(startFiring(server.url, queue.name), startFiring(server.url, queue.name));
      await eventually(async () => (await schedules.getOrThrow("tick")).runs >= 2, 20_000);
      await server.kill();
      await server.start();
      const before = await eventually(
        async () => (await schedules.getOrThrow("tick").catch(() => null))?.runs ?? 0,
        20_000,
      );
      await eventually(async () => (await schedules.getOrThrow("tick")).runs >= before + 3, 20_000);
      await Promise.all(stops.splice(0).map((stop) => stop()));

      const times = await dueTimesOfJobs(queue, "tick");
      expectEveryStep(times, 1_000);
      const schedule = await schedules.getOrThrow("tick");
      expect(times.length).toBe(schedule.runs);
      expect(schedule.misfired).toBe(0);
      await deleteAll(schedules);
    } finally {
      await Promise.all(stops.map((stop) => stop()));
      await redis.quit().catch(() => redis.disconnect());
      await server.stop();
    }
  });
});
