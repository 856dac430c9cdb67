import { describe, expect, it } from "vitest";
import { backlogPerWorker, DEFAULT_SCALING_POLICY, decideScaling, idealWorkers } from "./scaling-policy.js";

const policy = {
  ...DEFAULT_SCALING_POLICY,
  targetBacklogPerWorker: 10,
  scaleInCooldownMs: 1_000,
  scaleOutCooldownMs: 100,
};
const base = { processing: 0, now: 10_000, lastScaleOutAt: null, lastScaleInAt: null };

describe("scaling policy", () => {
  it("keeps at least min and at most max workers", () => {
    expect(idealWorkers(policy, 0, 0)).toBe(1);
    expect(idealWorkers(policy, 1_000_000, 0)).toBe(10);
    expect(idealWorkers(policy, 35, 0)).toBe(4);
  });

  it("scales out straight to the ideal size", () => {
    expect(decideScaling(policy, { ...base, backlog: 45, current: 1 })).toMatchObject({ desired: 5 });
  });

  it("counts running jobs so a busy pool is not shrunk under its own work", () => {
    expect(idealWorkers(policy, 0, 30)).toBe(3);
  });

  it("waits out the scale-out cooldown", () => {
    const decision = decideScaling(policy, { ...base, backlog: 45, current: 2, lastScaleOutAt: 9_950 });
    expect(decision).toEqual({ desired: 2, reason: "scale-out cooldown" });
  });

  it("scales in one worker at a time, only after the cooldown", () => {
    expect(decideScaling(policy, { ...base, backlog: 0, current: 5, lastScaleOutAt: 9_500 }).desired).toBe(5);
    expect(decideScaling(policy, { ...base, backlog: 0, current: 5, lastScaleOutAt: 8_000 }).desired).toBe(4);
    expect(decideScaling(policy, { ...base, backlog: 0, current: 4, lastScaleInAt: 9_900 }).desired).toBe(4);
  });

  it("reports backlog per healthy worker without dividing by zero", () => {
    expect(backlogPerWorker(50, 5)).toBe(10);
    expect(backlogPerWorker(50, 0)).toBe(50);
  });
});
