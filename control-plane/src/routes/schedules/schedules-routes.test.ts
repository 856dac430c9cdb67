/**
 * The schedules API on real control planes (standalone and Cluster): errors by
 * field, create/list/get/update/pause/resume/trigger/delete through the typed
 * client, two control planes whose firing loops run side by side without a due
 * time started twice, and the Prometheus series.
 */
import { ApiClient, ApiRequestError } from "@rqueue/shared/client";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { loadConfig } from "../../config/config.js";
import { createLogger } from "../../logging/logger.js";
import { type RunningControlPlane, startControlPlane } from "../../server/start-server.js";
import { promtoolCheck, readScrape, sampleValue } from "../../testing/prometheus-check.js";
import { uniqueQueue } from "../../testing/test-app.js";

const targets = (
  [
    ["standalone", inject("redisUrl")],
    ["cluster", inject("redisClusterUrl")],
  ] as [string, string][]
).filter(([, url]) => Boolean(url));

const KEYS = {
  read: "sched-read-secret-0123456789",
  submit: "sched-submit-secret-012345",
  admin: "sched-admin-secret-0123456",
};
const API_KEYS = `r:${KEYS.read}:read,s:${KEYS.submit}:submit,a:${KEYS.admin}:admin`;

const refusal = async (promise: Promise<unknown>) => {
  const error = await promise.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(ApiRequestError);
  return error as ApiRequestError;
};

async function until<T>(check: () => Promise<T | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== false) return value;
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.each(targets)("schedules API (%s)", (_name, url) => {
  const planes: RunningControlPlane[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const config = loadConfig({
        REDIS_URL: url,
        HOST: "127.0.0.1",
        PORT: "0",
        LOG_LEVEL: "silent",
        RQ_API_KEYS: API_KEYS,
        RQ_REQUIRE_REGISTERED_TYPES: "0",
        RQ_DASHBOARD_DIR: "/nonexistent-dashboard",
        RQ_SCHEDULE_INTERVAL_MS: "100",
      });
      planes.push(await startControlPlane(config, createLogger("silent")));
    }
  });
  afterAll(async () => {
    await Promise.all(planes.map((plane) => plane.close()));
  });
  const client = (key: string, plane = 0) => new ApiClient({ baseUrl: planes[plane]?.url, apiKey: key });

  it("answers bad input with the field, and the role each write needs", async () => {
    const submit = client(KEYS.submit);
    const queue = uniqueQueue("sched-api");
    const badCron = await refusal(submit.createSchedule({ queue, cron: "0 25 * * *", job: { type: "t" } }));
    expect(badCron.status).toBe(422);
    expect(badCron.issues).toEqual([{ path: "cron", message: expect.stringContaining("not a valid cron") }]);
    const badZone = await refusal(
      submit.createSchedule({ queue, cron: "0 9 * * *", timezone: "Europe/Nowhere", job: { type: "t" } }),
    );
    expect(badZone.issues).toEqual([{ path: "timezone", message: expect.stringContaining("IANA") }]);
    const badJob = await refusal(
      submit.createSchedule({ queue, everyMs: 500, job: { type: "t", priority: 0 } }),
    );
    expect(badJob.issues.map((issue) => issue.path).sort()).toEqual(["everyMs", "job.priority"]);

    expect(
      (await refusal(client(KEYS.read).createSchedule({ queue, everyMs: 60_000, job: { type: "t" } })))
        .status,
    ).toBe(403);
    await submit.createSchedule({ queue, id: "x", everyMs: 60_000, job: { type: "t" } });
    const again = await refusal(
      submit.createSchedule({ queue, id: "x", everyMs: 60_000, job: { type: "t" } }),
    );
    expect(again.status).toBe(409);
    expect(again.code).toBe("schedule_exists");
    expect((await refusal(submit.deleteSchedule(queue, "x"))).status).toBe(403);
    await client(KEYS.admin).deleteSchedule(queue, "x");
    const gone = await refusal(client(KEYS.read).getSchedule(queue, "x"));
    expect(gone.status).toBe(404);
    expect(gone.code).toBe("schedule_not_found");
  });

  it("manages a schedule, and two control planes fire each due time once", async () => {
    const submit = client(KEYS.submit);
    const queue = uniqueQueue("sched-api");
    const created = await submit.createSchedule({
      queue,
      id: "tick",
      everyMs: 1_000,
      misfire: "runAll",
      job: { type: "tick", payload: { n: 1 } },
    });
    expect(created).toMatchObject({ queue, id: "tick", status: "active", everyMs: 1_000 });
    expect(created.nextRuns).toHaveLength(5);

    // Both planes fire; runs accumulate once each.
    const fired = await until(async () => {
      const schedule = await client(KEYS.read, 1).getSchedule(queue, "tick");
      return schedule.runs >= 3 ? schedule : false;
    });
    const paused = await submit.pauseSchedule(queue, "tick");
    expect(paused).toMatchObject({ status: "paused", nextRunAt: null });
    const jobs = await client(KEYS.read).listJobs({ queue, limit: 100 });
    const dueTimes = jobs.items.map((job) => Number(job.idempotencyKey?.split(":").pop())).sort();
    expect(new Set(dueTimes).size).toBe(dueTimes.length);
    expect(dueTimes.length).toBe(paused.runs);
    for (let i = 1; i < dueTimes.length; i++)
      expect((dueTimes[i] as number) - (dueTimes[i - 1] as number)).toBe(1_000);
    expect(fired.lastRuns[0]?.state).toBe("pending");

    const list = await client(KEYS.read).listSchedules({ queue });
    expect(list.items.map((s) => s.id)).toEqual(["tick"]);
    const all = await client(KEYS.read).listSchedules({ limit: 200 });
    expect(all.items.some((s) => s.queue === queue && s.id === "tick")).toBe(true);

    const updated = await submit.updateSchedule(queue, "tick", { job: { type: "tick", payload: { n: 2 } } });
    expect(updated.job.payload).toEqual({ n: 2 });
    const { jobId, schedule } = await submit.triggerSchedule(queue, "tick");
    expect(schedule.lastRuns[0]).toMatchObject({ jobId, manual: true });
    expect((await client(KEYS.read).getJob(jobId)).payload).toEqual({ n: 2 });
    const resumed = await submit.resumeSchedule(queue, "tick");
    expect(resumed.status).toBe("active");

    const res = await fetch(`${planes[0]?.url}/metrics`, {
      headers: { authorization: `Bearer ${KEYS.read}` },
    });
    const text = await res.text();
    const checked = await promtoolCheck(text);
    expect(checked.output).toBe("");
    const scrape = readScrape(text);
    expect(sampleValue(scrape, "rqueue_schedules", { queue })).toBe(1);
    expect(sampleValue(scrape, "rqueue_schedule_runs_triggered_total", { queue })).toBe(1);
    expect(sampleValue(scrape, "rqueue_schedule_runs_fired_total", { queue })).toBeGreaterThanOrEqual(
      paused.runs,
    );
    expect(sampleValue(scrape, "rqueue_schedule_misfires_skipped_total", { queue })).toBe(0);
    await client(KEYS.admin).deleteSchedule(queue, "tick");
  });
});
