import { describe, expect, it } from "vitest";
import { DEFAULT_SCHEDULE_POLICY, type ScheduleDefinition } from "../schemas/schedule-input.js";
import { DUE_TIMES_PER_ROUND, type PlanInput, planDueRuns } from "./schedule-plan.js";
import { dueTimesFrom, nextDueAfter } from "./schedule-timing.js";

const job = { type: "report", payload: {} };
const every = (everyMs: number, extra: Partial<ScheduleDefinition> = {}): ScheduleDefinition => ({
  ...DEFAULT_SCHEDULE_POLICY,
  job,
  everyMs,
  ...extra,
});
// Due at 1,000, 2,000, 3,000, ... (anchored at 0).
const input = (definition: ScheduleDefinition, nowMs: number, extra: Partial<PlanInput> = {}): PlanInput => ({
  definition,
  anchorMs: 0,
  nextMs: 1_000,
  nowMs,
  runs: 0,
  lastRunFinished: null,
  oldestSafeMs: 0,
  ...extra,
});

describe("due times", () => {
  it("an interval counts from its anchor, or from startAt; endAt ends it", () => {
    expect(nextDueAfter({ everyMs: 1_000 }, 0, 0)).toBe(1_000);
    expect(nextDueAfter({ everyMs: 1_000 }, 0, 1_000)).toBe(2_000);
    expect(nextDueAfter({ everyMs: 1_000 }, 0, 1_500)).toBe(2_000);
    expect(nextDueAfter({ everyMs: 1_000, startAt: 5_500 }, 0, 0)).toBe(5_500);
    expect(nextDueAfter({ everyMs: 1_000, startAt: 5_500 }, 0, 5_500)).toBe(6_500);
    expect(nextDueAfter({ everyMs: 1_000, endAt: 2_999 }, 0, 2_000)).toBeNull();
  });

  it("a cron expression is read in its time zone, 6 fields with seconds first", () => {
    const from = Date.parse("2026-03-06T00:00:00Z");
    // 9:00 on weekdays in New York: 14:00 UTC before the DST change of 8 March, 13:00 after.
    const times = dueTimesFrom(
      { cron: "0 9 * * 1-5", timezone: "America/New_York" },
      0,
      nextDueAfter({ cron: "0 9 * * 1-5", timezone: "America/New_York" }, 0, from) as number,
      2,
    );
    expect(times.map((t) => new Date(t).toISOString())).toEqual([
      "2026-03-06T14:00:00.000Z",
      "2026-03-09T13:00:00.000Z",
    ]);
    expect(nextDueAfter({ cron: "*/10 * * * * *" }, 0, Date.parse("2026-01-01T00:00:05Z"))).toBe(
      Date.parse("2026-01-01T00:00:10Z"),
    );
    // startAt is inclusive.
    const start = Date.parse("2026-01-01T00:01:00Z");
    expect(nextDueAfter({ cron: "* * * * *", startAt: start }, 0, 0)).toBe(start);
  });
});

describe("planDueRuns", () => {
  it("starts each due time on time, and the next due time is the first after now", () => {
    expect(planDueRuns(input(every(1_000), 1_200))).toEqual({
      fire: [1_000],
      misfired: 0,
      overlapSkipped: 0,
      nextMs: 2_000,
    });
    // Late within the grace: still every one.
    expect(planDueRuns(input(every(1_000, { misfireGraceMs: 5_000 }), 3_100)).fire).toEqual([
      1_000, 2_000, 3_000,
    ]);
  });

  it("runOnce starts one job for the due times missed beyond the grace, plus those on time", () => {
    const plan = planDueRuns(input(every(1_000, { misfire: "runOnce", misfireGraceMs: 1_500 }), 10_200));
    // 1,000-8,000 missed (more than 1.5 s late): one run, for the latest of them; 9,000 and 10,000 on time.
    expect(plan).toEqual({ fire: [8_000, 9_000, 10_000], misfired: 7, overlapSkipped: 0, nextMs: 11_000 });
  });

  it("skip starts none of the missed due times", () => {
    const plan = planDueRuns(input(every(1_000, { misfire: "skip", misfireGraceMs: 1_500 }), 10_200));
    expect(plan).toEqual({ fire: [9_000, 10_000], misfired: 8, overlapSkipped: 0, nextMs: 11_000 });
  });

  it("runAll starts every missed due time, the latest maxCatchUp", () => {
    const definition = every(1_000, { misfire: "runAll", misfireGraceMs: 0, maxCatchUp: 3 });
    expect(planDueRuns(input(definition, 10_200))).toEqual({
      fire: [8_000, 9_000, 10_000],
      misfired: 7,
      overlapSkipped: 0,
      nextMs: 11_000,
    });
  });

  it("never starts a due time older than the idempotency window allows", () => {
    const definition = every(1_000, { misfire: "runAll", maxCatchUp: 100 });
    const plan = planDueRuns(input(definition, 10_200, { oldestSafeMs: 7_500 }));
    expect(plan.fire).toEqual([8_000, 9_000, 10_000]);
    expect(plan.misfired).toBe(7);
  });

  it("looks at a bounded number of due times per round and starts none of such a backlog's oldest", () => {
    const nowMs = (DUE_TIMES_PER_ROUND + 50) * 1_000;
    const plan = planDueRuns(input(every(1_000, { misfire: "runAll" }), nowMs));
    expect(plan.fire).toEqual([]);
    expect(plan.misfired).toBe(DUE_TIMES_PER_ROUND);
    expect(plan.nextMs).toBe((DUE_TIMES_PER_ROUND + 1) * 1_000);
    // The next round gets the rest and starts the latest maxCatchUp (100) of them... here all 50 of them.
    const rest = planDueRuns(
      input(every(1_000, { misfire: "runAll" }), nowMs, { nextMs: plan.nextMs as number }),
    );
    expect(rest.fire).toHaveLength(50);
  });

  it("overlap skip: nothing while the last run is unfinished; only the latest of several", () => {
    const definition = every(1_000, { overlap: "skip", misfireGraceMs: 10_000 });
    expect(planDueRuns(input(definition, 3_100, { lastRunFinished: false }))).toMatchObject({
      fire: [],
      overlapSkipped: 3,
      misfired: 0,
      nextMs: 4_000,
    });
    expect(planDueRuns(input(definition, 3_100, { lastRunFinished: true }))).toMatchObject({
      fire: [3_000],
      overlapSkipped: 2,
    });
  });

  it("a limit ends the schedule once reached; endAt ends it after its last due time", () => {
    expect(
      planDueRuns(input(every(1_000, { limit: 3, misfireGraceMs: 10_000 }), 5_100, { runs: 1 })),
    ).toEqual({
      fire: [1_000, 2_000],
      misfired: 0,
      overlapSkipped: 0,
      nextMs: null,
    });
    expect(
      planDueRuns(input(every(1_000, { endAt: 2_500, misfireGraceMs: 10_000 }), 5_100)).nextMs,
    ).toBeNull();
  });
});
