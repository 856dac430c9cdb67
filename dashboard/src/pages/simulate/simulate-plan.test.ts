import { describe, expect, it } from "vitest";
import { buildBatch, type SimulatePlan } from "./simulate-plan.js";

const plan = (overrides: Partial<SimulatePlan> = {}): SimulatePlan => ({
  queue: "default",
  type: "sleep",
  count: 2_500,
  priority: 5,
  payload: { ms: 100 },
  delayMs: 0,
  maxAttempts: 3,
  group: "",
  groups: 1,
  chain: false,
  ...overrides,
});

describe("simulate plan", () => {
  it("cuts the jobs into batches of at most 1,000 with the payload", () => {
    const first = buildBatch(plan(), 0, null);
    const last = buildBatch(plan(), 2_000, null);
    expect(first).toHaveLength(1_000);
    expect(last).toHaveLength(500);
    expect(first[0]).toEqual({
      type: "sleep",
      queue: "default",
      payload: { ms: 100 },
      priority: 5,
      maxAttempts: 3,
    });
    expect(last[499]?.payload).toEqual({ ms: 100 });
  });

  it("spreads priorities over 10 to 1 and adds the delay", () => {
    const jobs = buildBatch(plan({ priority: "spread", count: 12, delayMs: 5_000 }), 0, null);
    expect(jobs.map((job) => job.priority)).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 10, 9]);
    expect(jobs.every((job) => job.delayMs === 5_000)).toBe(true);
  });

  it("puts the jobs in one group, or spreads them over several", () => {
    expect(buildBatch(plan({ count: 2, group: "acme" }), 0, null).map((job) => job.group)).toEqual([
      "acme",
      "acme",
    ]);
    const spread = buildBatch(plan({ count: 4, group: "tenant", groups: 3 }), 0, null);
    expect(spread.map((job) => job.group)).toEqual(["tenant-0", "tenant-1", "tenant-2", "tenant-0"]);
  });

  it("chains each job to the one before, across batches by the previous batch's last id", () => {
    const first = buildBatch(plan({ chain: true }), 0, null);
    expect(first[0]?.dependsOn).toBeUndefined();
    expect(first[1]).toMatchObject({ ref: "j1", dependsOn: ["j0"] });
    const second = buildBatch(plan({ chain: true }), 1_000, "default:1000");
    expect(second[0]).toMatchObject({ ref: "j1000", dependsOn: ["default:1000"] });
    expect(second[1]).toMatchObject({ dependsOn: ["j1000"] });
  });
});
