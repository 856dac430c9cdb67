import { describe, expect, it } from "vitest";
import {
  checkScalingPolicy,
  DEFAULT_SCALING_POLICY,
  decideScaling,
  jobsPerSecondPerWorker,
  type QueueLoad,
  type ScalingInput,
  workerDemand,
} from "./scaling-policy.js";

const policy = DEFAULT_SCALING_POLICY; // 1–10 workers, drain within 30 s, 1 s per job until measured
const queue = (backlog: number, processing: number, jobSeconds: number | null): QueueLoad => ({
  backlog,
  processing,
  jobSeconds,
});
const input = (queues: QueueLoad[], current: number, extra: Partial<ScalingInput> = {}): ScalingInput => ({
  queues,
  slots: 10,
  current,
  now: 1_000_000,
  lastScaleOutAt: null,
  lastScaleInAt: null,
  ...extra,
});

describe("jobsPerSecondPerWorker", () => {
  it.each([
    // slots, seconds per job, jobs/s
    [10, 1, 1 / (0.1 + 0.0001)],
    [10, 0.01, 1 / (0.001 + 0.0001)],
    [1, 2, 1 / (2 + 0.0001)],
    // Instant jobs: the worker's own per-job cost is the limit (10k/s), whatever the slots.
    [50, 0, 10_000],
    [1, 0, 10_000],
  ])("%i slots at %f s per job: %f jobs/s", (slots, seconds, rate) => {
    expect(jobsPerSecondPerWorker(policy, slots, seconds)).toBeCloseTo(rate, 6);
  });

  it("uses the fallback run time while a queue has no measurements", () => {
    expect(jobsPerSecondPerWorker(policy, 10, null)).toBe(jobsPerSecondPerWorker(policy, 10, 1));
  });
});

describe("workerDemand: ⌈(backlog + processing) ÷ (jobs/s per worker × target)⌉", () => {
  it.each([
    // [label, queues, slots, ideal]
    ["nothing to do keeps the minimum", [queue(0, 0, null)], 10, 1],
    ["20,000 no-op jobs: one warm worker drains them in about 2 s", [queue(20_000, 10, 0.00005)], 10, 1],
    ["the same burst on a queue never measured assumes 1 s per job", [queue(20_000, 0, null)], 10, 10],
    ["299 jobs of 1 s on 10 slots fit in one worker's 30 s", [queue(289, 10, 1)], 10, 1],
    ["two more need a second worker", [queue(291, 10, 1)], 10, 2],
    ["slow jobs scale to the cap", [queue(5_000, 10, 2)], 10, 10],
    ["running jobs count as work", [queue(0, 590, 1)], 10, 2],
    ["queues add up in worker-seconds", [queue(150, 0, 1), queue(3_000, 0, 0.05), queue(0, 0, null)], 10, 2],
    ["one slot per worker", [queue(59, 0, 1)], 1, 2],
  ] as [string, QueueLoad[], number, number][])("%s", (_label, queues, slots, ideal) => {
    expect(workerDemand(policy, queues, slots).ideal).toBe(ideal);
  });

  it("reports the fractional demand behind the decision", () => {
    const demand = workerDemand(policy, [queue(140, 10, 1)], 10);
    expect(demand.drainWorkers).toBeCloseTo(150 / (30 / 0.1001), 6);
    expect(demand.busyWorkers).toBe(1);
  });
});

describe("decideScaling", () => {
  it.each([
    // [label, queues, current, desired]
    ["scales out straight to the ideal size", [queue(3_000, 10, 1)], 1, 10],
    ["a burst one worker drains within the target starts no one", [queue(20_000, 50, 0.0002)], 1, 1],
    ["holds while the work still needs the pool", [queue(600, 30, 1)], 3, 3],
    [
      "holds inside the hysteresis band: 2 workers would be 83 % busy",
      [queue(490, 10, 1)], // 500 jobs ÷ 299.7 per worker = 1.67 workers
      3,
      3,
    ],
    ["scales in once 2 workers would be under 75 % busy", [queue(430, 10, 1)], 3, 2],
    ["scales in straight to the minimum when idle", [queue(0, 0, 1)], 10, 1],
    ["never shrinks below the slots running jobs occupy", [queue(0, 45, 0.1)], 10, 6],
    ["clamps a current count above the maximum", [queue(0, 0, null)], 12, 1],
    ["grows by one worker while no run time is measured", [queue(20_000, 50, null)], 1, 2],
    [
      "an unmeasured queue beside a measured one still grows by one",
      [queue(5, 0, null), queue(3_000, 10, 1)],
      2,
      3,
    ],
  ] as [string, QueueLoad[], number, number][])("%s", (_label, queues, current, desired) => {
    expect(decideScaling(policy, input(queues, current)).desired).toBe(desired);
  });

  it("waits out the scale-out cooldown", () => {
    const decision = decideScaling(
      policy,
      input([queue(3_000, 0, 1)], 2, { lastScaleOutAt: 1_000_000 - policy.scaleOutCooldownMs + 1 }),
    );
    expect(decision).toMatchObject({ desired: 2, reason: "scale-out cooldown" });
    const after = input([queue(3_000, 0, 1)], 2, { lastScaleOutAt: 1_000_000 - policy.scaleOutCooldownMs });
    expect(decideScaling(policy, after).desired).toBe(10);
  });

  it("waits out the scale-in cooldown after any action", () => {
    const recent = 1_000_000 - policy.scaleInCooldownMs + 1;
    expect(decideScaling(policy, input([], 5, { lastScaleOutAt: recent })).reason).toBe("scale-in cooldown");
    expect(decideScaling(policy, input([], 5, { lastScaleInAt: recent })).desired).toBe(5);
    expect(decideScaling(policy, input([], 5, { lastScaleInAt: recent - 1 })).desired).toBe(1);
  });

  it("never flaps: after any scale-in, the same load asks for no scale-out", () => {
    for (let current = 2; current <= 10; current++) {
      for (let backlog = 0; backlog <= 3_000; backlog += 37) {
        for (const processing of [0, 5, 17, 40]) {
          const load = [queue(backlog, processing, 1)];
          const decision = decideScaling(policy, input(load, current));
          if (decision.desired >= current) continue;
          const next = decideScaling(policy, input(load, decision.desired));
          expect(next.desired, `${backlog}+${processing} at ${current}`).toBe(decision.desired);
        }
      }
    }
  });
});

describe("checkScalingPolicy", () => {
  it("accepts the defaults and names each bad value", () => {
    expect(checkScalingPolicy(policy)).toEqual([]);
    expect(checkScalingPolicy({ ...policy, min: 0, targetDrainSeconds: 0, scaleInUtilization: 1.5 })).toEqual(
      [
        "min: must be a whole number ≥ 1",
        "targetDrainSeconds: must be > 0",
        "scaleInUtilization: must be in (0, 1]",
      ],
    );
  });
});
