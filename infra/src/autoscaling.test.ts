import { METRIC_NAMESPACE, METRIC_SERVICE_DIMENSION, SCALING_METRIC_NAMES } from "@rqueue/shared";
import { beforeAll, describe, expect, it } from "vitest";
import { installPulumiMocks, settle, value } from "./pulumi-mocks.js";

const mocks = installPulumiMocks();
const { WorkerAutoscaling, exactCountSteps, ALARM_THRESHOLD } = await import("./autoscaling.js");

interface Step {
  metricIntervalLowerBound: string;
  metricIntervalUpperBound?: string;
  scalingAdjustment: number;
}

/** What Application Auto Scaling does with an alarm value: the step whose interval holds it. */
function applySteps(steps: Step[], alarmValue: number): number | null {
  if (alarmValue < ALARM_THRESHOLD) return null;
  const offset = alarmValue - ALARM_THRESHOLD;
  const step = steps.find(
    (s) =>
      offset >= Number(s.metricIntervalLowerBound) &&
      (s.metricIntervalUpperBound === undefined || offset < Number(s.metricIntervalUpperBound)),
  );
  if (!step) throw new Error(`no step for ${alarmValue}`);
  return step.scalingAdjustment;
}

describe("WorkerAutoscaling", () => {
  beforeAll(async () => {
    const scaling = new WorkerAutoscaling("worker-autoscaling", {
      namePrefix: "rqueue-test",
      clusterName: "rqueue-test",
      serviceName: "rqueue-test-worker",
      minCount: 1,
      maxCount: 10,
    });
    await value(scaling.alarm.id);
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

  it("sets exactly the count the control plane published, from 1 to 10", () => {
    const policy = mocks.named("aws:appautoscaling/policy:Policy", "worker-autoscaling-apply-desired").inputs;
    expect(policy.policyType).toBe("StepScaling");
    const config = policy.stepScalingPolicyConfiguration as {
      adjustmentType: string;
      stepAdjustments: Step[];
    };
    expect(config.adjustmentType).toBe("ExactCapacity");
    for (let desired = 1; desired <= 10; desired++) {
      expect(applySteps(config.stepAdjustments, desired)).toBe(desired);
    }
    // ECS already runs the desired count: the expression yields 0, the alarm is OK, nothing happens.
    expect(applySteps(config.stepAdjustments, 0)).toBeNull();
  });

  it("alarms on the published decision against ECS's count, with the shared names", () => {
    const alarm = mocks.named("aws:cloudwatch/metricAlarm:MetricAlarm", "worker-autoscaling-desired-differs");
    const policy = mocks.named("aws:appautoscaling/policy:Policy", "worker-autoscaling-apply-desired");
    expect(alarm.inputs).toMatchObject({
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: ALARM_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
      alarmActions: [policy.state.arn],
    });
    const queries = alarm.inputs.metricQueries as {
      id: string;
      expression?: string;
      returnData?: boolean;
      metric?: { namespace: string; metricName: string; dimensions: Record<string, string> };
    }[];
    expect(queries.filter((q) => q.returnData).map((q) => q.expression)).toEqual([
      "IF(ABS(desired - tasks) >= 1, desired, 0)",
    ]);
    expect(queries.flatMap((q) => (q.metric ? [[q.id, q.metric]] : []))).toEqual([
      [
        "desired",
        expect.objectContaining({
          namespace: METRIC_NAMESPACE,
          metricName: SCALING_METRIC_NAMES.desiredWorkers,
          dimensions: { [METRIC_SERVICE_DIMENSION]: "rqueue-test-worker" },
        }),
      ],
      [
        "tasks",
        expect.objectContaining({
          namespace: METRIC_NAMESPACE,
          metricName: SCALING_METRIC_NAMES.workerTasks,
          dimensions: { [METRIC_SERVICE_DIMENSION]: "rqueue-test-worker" },
        }),
      ],
    ]);
  });
});

describe("exactCountSteps", () => {
  it("covers every count contiguously, open-ended at the top", () => {
    expect(exactCountSteps(2, 4)).toEqual([
      { metricIntervalLowerBound: "0", metricIntervalUpperBound: "2", scalingAdjustment: 2 },
      { metricIntervalLowerBound: "2", metricIntervalUpperBound: "3", scalingAdjustment: 3 },
      { metricIntervalLowerBound: "3", scalingAdjustment: 4 },
    ]);
    expect(exactCountSteps(1, 1)).toEqual([{ metricIntervalLowerBound: "0", scalingAdjustment: 1 }]);
  });
});
