import { DEFAULT_SCALING_POLICY } from "@rqueue/shared";
import { describe, expect, it } from "vitest";
import { loadWorkerFleet } from "./worker-fleet.js";

describe("loadWorkerFleet", () => {
  it("takes queue names without their weights, and the workers' policy", () => {
    const { fleet } = loadWorkerFleet({
      RQ_QUEUES: "emails:3, default",
      RQ_WORKER_CONCURRENCY: "20",
      RQ_AUTOSCALE_MAX: "6",
      RQ_AUTOSCALE_TARGET_DRAIN_SECONDS: "90",
      RQ_ECS_SERVICE: "rqueue-prod-worker",
    });
    expect(fleet).toEqual({
      service: "rqueue-prod-worker",
      queues: ["emails", "default"],
      slots: 20,
      policy: { ...DEFAULT_SCALING_POLICY, max: 6, targetDrainSeconds: 90 },
    });
  });

  it("defaults to the worker's defaults", () => {
    expect(loadWorkerFleet({}).fleet).toMatchObject({ service: "workers", queues: ["default"], slots: 50 });
  });

  it("names each bad variable", () => {
    expect(loadWorkerFleet({ RQ_QUEUES: "emails:0" }).problems).toEqual([
      "RQ_QUEUES: \"emails:0\" is not <queue>[:<weight>] (queue: letters, digits, '_', '.', '-'; weight 1-1000)",
    ]);
    expect(loadWorkerFleet({ RQ_QUEUES: "bad name" }).fleet).toBeNull();
    expect(loadWorkerFleet({ RQ_AUTOSCALE_MIN: "5", RQ_AUTOSCALE_MAX: "2" }).problems).toEqual([
      "RQ_AUTOSCALE: max: must be ≥ min",
    ]);
    expect(loadWorkerFleet({ RQ_WORKER_CONCURRENCY: "0" }).problems).toEqual([
      "RQ_WORKER_CONCURRENCY: must be at least 1",
    ]);
  });
});
