import { describe, expect, it } from "vitest";
import { targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { ScheduleExistsError, ScheduleNotFoundError, ValidationError } from "../errors.js";
import { Queue } from "../queue/queue.js";
import type { ScheduleInput } from "../schemas/schedule-input.js";
import { listScheduleQueues, QueueSchedules } from "./queue-schedules.js";

const issuesOf = async (promise: Promise<unknown>) => {
  const error = await promise.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).issues;
};

describe.each(targets)("schedules (%s)", (_name, url) => {
  const redis = useRedis(url);
  const setup = () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("sched") });
    return { queue, schedules: new QueueSchedules(queue) };
  };

  it("refuses bad input naming each field, and writes nothing", async () => {
    const { queue, schedules } = setup();
    const job = { type: "report" };
    const cases: [ScheduleInput, { path: string; message: RegExp }[]][] = [
      [{ cron: "61 * * * *", job }, [{ path: "cron", message: /not a valid cron expression/ }]],
      [{ cron: "* * *", job }, [{ path: "cron", message: /5 fields/ }]],
      [{ cron: "* * * * * * 2030", job }, [{ path: "cron", message: /5 fields/ }]],
      [
        { cron: "0 9 * * *", timezone: "Mars/Olympus", job },
        [{ path: "timezone", message: /IANA time zone/ }],
      ],
      [{ cron: "0 9 * * *", everyMs: 1_000, job }, [{ path: "cron", message: /not both/ }]],
      [{ job }, [{ path: "cron", message: /is required/ }]],
      [{ everyMs: 10, job }, [{ path: "everyMs", message: /at least 1000/ }]],
      [{ everyMs: 1_000, timezone: "UTC", job }, [{ path: "timezone", message: /cron only/ }]],
      [{ everyMs: 1_000, startAt: 2_000, endAt: 1_000, job }, [{ path: "endAt", message: /after startAt/ }]],
      [{ everyMs: 1_000, startAt: "yesterday-ish", job }, [{ path: "startAt", message: /ISO 8601/ }]],
      [{ everyMs: 1_000, misfire: "sometimes" as never, job }, [{ path: "misfire", message: /runOnce/ }]],
      [{ everyMs: 1_000, job: { type: "Bad Type" } }, [{ path: "job.type", message: /must match/ }]],
      [
        { everyMs: 1_000, job: { type: "t", priority: 11 } },
        [{ path: "job.priority", message: /at most 10/ }],
      ],
      [
        { everyMs: 1_000, job: { type: "t", dependsOn: ["x"] } as never },
        [{ path: "job.dependsOn", message: /unknown field/ }],
      ],
      [{ everyMs: 1_000, queue: "other", job }, [{ path: "queue", message: /does not match/ }]],
      [{ everyMs: 1_000, id: "no spaces", job }, [{ path: "id", message: /must be 1-64/ }]],
    ];
    for (const [input, expected] of cases) {
      const issues = await issuesOf(schedules.create(input));
      expect(issues).toEqual(
        expected.map((e) => ({ path: e.path, message: expect.stringMatching(e.message) })),
      );
    }
    expect((await schedules.list()).items).toEqual([]);
    expect(await redis().exists(queue.context.keys.schedules.due)).toBe(0);
  });

  it("creates, shows next runs, updates, pauses, resumes, triggers and deletes", async () => {
    const { queue, schedules } = setup();
    const created = await schedules.create({
      id: "nightly",
      cron: "30 2 * * *",
      timezone: "Europe/Berlin",
      job: { type: "report", payload: { kind: "daily" }, priority: 7 },
    });
    expect(created).toMatchObject({
      id: "nightly",
      queue: queue.name,
      status: "active",
      cron: "30 2 * * *",
      timezone: "Europe/Berlin",
      everyMs: null,
      misfire: "runOnce",
      overlap: "allow",
      misfireGraceMs: 60_000,
      runs: 0,
      lastRuns: [],
      job: { type: "report", payload: { kind: "daily" }, priority: 7 },
    });
    expect(created.nextRuns).toHaveLength(5);
    for (const at of created.nextRuns) {
      // 02:30 in Berlin is 01:30 UTC in winter, 00:30 in summer.
      expect(new Date(at).getUTCMinutes()).toBe(30);
      expect([0, 1]).toContain(new Date(at).getUTCHours());
    }
    expect(created.nextRunAt).toBe(created.nextRuns[0]);
    expect(await listScheduleQueues(redis())).toContain(queue.name);
    await expect(
      schedules.create({ id: "nightly", everyMs: 5_000, job: { type: "t" } }),
    ).rejects.toBeInstanceOf(ScheduleExistsError);

    // A change that is not timing keeps the next due time; a change of timing recomputes it.
    const edited = await schedules.update("nightly", {
      job: { type: "report", payload: { kind: "weekly" } },
    });
    expect(edited).toMatchObject({ nextRunAt: created.nextRunAt, version: created.version + 1 });
    expect(edited.job.payload).toEqual({ kind: "weekly" });
    const hourly = await schedules.update("nightly", { cron: "0 * * * *", timezone: null });
    expect(hourly).toMatchObject({ cron: "0 * * * *", timezone: "UTC" });
    expect(Date.parse(hourly.nextRuns[1] as string) - Date.parse(hourly.nextRuns[0] as string)).toBe(
      3_600_000,
    );
    expect((await issuesOf(schedules.update("nightly", { cron: "0 25 * * *" })))[0]?.path).toBe("cron");

    const paused = await schedules.pause("nightly");
    expect(paused).toMatchObject({ status: "paused", nextRunAt: null, nextRuns: [] });
    expect(await redis().zscore(queue.context.keys.schedules.due, "nightly")).toBeNull();
    const resumed = await schedules.resume("nightly");
    expect(resumed.status).toBe("active");
    expect(Number(await redis().zscore(queue.context.keys.schedules.due, "nightly"))).toBe(
      Date.parse(resumed.nextRunAt as string),
    );

    const { jobId, schedule } = await schedules.trigger("nightly");
    const job = await queue.getJobOrThrow(jobId);
    expect(job).toMatchObject({ type: "report", payload: { kind: "weekly" }, state: "pending" });
    expect(schedule).toMatchObject({ triggered: 1, runs: 0 });
    expect(schedule.lastRuns).toEqual([{ jobId, dueAt: expect.any(String), manual: true, state: "pending" }]);

    await schedules.delete("nightly");
    expect(await schedules.get("nightly")).toBeNull();
    await expect(schedules.delete("nightly")).rejects.toBeInstanceOf(ScheduleNotFoundError);
    await expect(schedules.trigger("nightly")).rejects.toBeInstanceOf(ScheduleNotFoundError);
    expect(await queue.getJob(jobId)).not.toBeNull();
  });

  it("lists by id with a cursor and generates ids", async () => {
    const { schedules } = setup();
    for (const id of ["c", "a", "b"]) await schedules.create({ id, everyMs: 60_000, job: { type: "t" } });
    const generated = await schedules.create({ everyMs: 60_000, job: { type: "t" }, paused: true });
    expect(generated.id).toMatch(/^s-[0-9a-f]{12}$/);
    expect(generated.status).toBe("paused");
    const first = await schedules.list({ limit: 2 });
    expect(first.items.map((s) => s.id)).toEqual(["a", "b"]);
    const second = await schedules.list({ limit: 2, cursor: first.nextCursor as string });
    expect(second.items.map((s) => s.id)).toEqual(["c", generated.id]);
    expect(second.nextCursor).toBeNull();
    const counters = await schedules.counters();
    expect(counters).toMatchObject({ schedules: 4, active: 3, fired: 0 });
    // Every control plane of the test run fires every queue's schedules: leave none behind.
    for (const id of ["a", "b", "c", generated.id]) await schedules.delete(id);
  });
});
