import { METRIC_NAMES, METRIC_NAMESPACE, METRIC_QUEUE_DIMENSION } from "@rqueue/shared";
import { beforeAll, describe, expect, it } from "vitest";
import { installPulumiMocks, settle, value } from "./pulumi-mocks.js";

const mocks = installPulumiMocks();
const { WorkerAutoscaling, backlogPerWorkerMetric } = await import("./autoscaling.js");

interface TrackingConfig {
  targetValue: number;
  scaleInCooldown: number;
  scaleOutCooldown: number;
  customizedMetricSpecification: {
    namespace?: string;
    metricName?: string;
    statistic?: string;
    dimensions?: { name: string; value: string }[];
  };
}

describe("WorkerAutoscaling", () => {
  beforeAll(async () => {
    const scaling = new WorkerAutoscaling("worker-autoscaling", {
      clusterName: "rqueue-test",
      serviceName: "rqueue-test-worker",
      minCount: 1,
      maxCount: 10,
      queues: ["default"],
      backlogPerWorkerTarget: 100,
      scaleOutCooldownSeconds: 60,
      scaleInCooldownSeconds: 300,
    });
    await value(scaling.policy.id);
    await settle();
  });

  it("targets the worker service's desired count, between 1 and 10", () => {
    const target = mocks.named("aws:appautoscaling/target:Target", "worker-autoscaling-target").inputs;
    expect(target).toMatchObject({
      serviceNamespace: "ecs",
      scalableDimension: "ecs:service:DesiredCount",
      resourceId: "service/rqueue-test/rqueue-test-worker",
      minCapacity: 1,
      maxCapacity: 10,
    });
  });

  it("tracks exactly the metric the control plane publishes", () => {
    const policy = mocks.named(
      "aws:appautoscaling/policy:Policy",
      "worker-autoscaling-backlog-per-worker",
    ).inputs;
    expect(policy.policyType).toBe("TargetTrackingScaling");
    expect(policy.resourceId).toBe("service/rqueue-test/rqueue-test-worker");
    const config = policy.targetTrackingScalingPolicyConfiguration as TrackingConfig;
    // Compared with the constants the control plane publishes with, not with string literals.
    expect(config.customizedMetricSpecification).toEqual({
      namespace: METRIC_NAMESPACE,
      metricName: METRIC_NAMES.backlogPerWorker,
      dimensions: [{ name: METRIC_QUEUE_DIMENSION, value: "default" }],
      statistic: "Average",
    });
    expect(config.targetValue).toBe(100);
  });

  it("scales out quickly and in slowly", () => {
    const policy = mocks.named(
      "aws:appautoscaling/policy:Policy",
      "worker-autoscaling-backlog-per-worker",
    ).inputs;
    const config = policy.targetTrackingScalingPolicyConfiguration as TrackingConfig;
    expect(config.scaleOutCooldown).toBe(60);
    expect(config.scaleInCooldown).toBe(300);
    expect(config.scaleOutCooldown).toBeLessThan(config.scaleInCooldown);
  });
});

describe("backlogPerWorkerMetric", () => {
  it("sums the per-queue values when workers serve several queues", () => {
    const spec = backlogPerWorkerMetric(["default", "emails"]);
    expect(spec.metricName).toBeUndefined();
    const metrics = spec.metrics as {
      id: string;
      expression?: string;
      returnData: boolean;
      metricStat?: { metric: { namespace: string; metricName: string; dimensions: unknown }; stat: string };
    }[];
    expect(metrics.filter((m) => m.returnData).map((m) => m.expression)).toEqual(["SUM([q0, q1])"]);
    for (const [i, queue] of ["default", "emails"].entries()) {
      expect(metrics[i]?.metricStat).toEqual({
        metric: {
          namespace: METRIC_NAMESPACE,
          metricName: METRIC_NAMES.backlogPerWorker,
          dimensions: [{ name: METRIC_QUEUE_DIMENSION, value: queue }],
        },
        stat: "Average",
      });
    }
  });

  it("needs a queue", () => {
    expect(() => backlogPerWorkerMetric([])).toThrow();
  });
});
