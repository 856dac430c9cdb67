/**
 * Worker autoscaling: ECS applies the decision the control plane publishes. The control plane
 * runs the shared time-based policy (the same `decideScaling` as the local supervisor) and
 * publishes `DesiredWorkers` next to `WorkerTasks`, the task count it decided from. One alarm
 * fires while the two differ, and its step policy sets the service's count to exactly the
 * published value (ExactCapacity), so cloud and local make the same decision from the same inputs.
 *
 * Why not target tracking on the ratio: its scale-in alarm waits for 15 one-minute datapoints
 * below 90 % of the target, so 10 → 9 (0.9) never fires and every scale-in lags the policy by a
 * quarter of an hour; its rounding adds a second policy on top of ours. Setting the exact count is
 * idempotent: a repeated alarm action asks for the same number again.
 *
 * The metric names and the service dimension come from @rqueue/shared, the same constants the
 * control plane publishes with, so a rename on either side cannot leave the alarm watching nothing.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { METRIC_NAMESPACE, METRIC_SERVICE_DIMENSION, SCALING_METRIC_NAMES } from "@rqueue/shared";

type StepAdjustment = aws.types.input.appautoscaling.PolicyStepScalingPolicyConfigurationStepAdjustment;
type MetricQuery = aws.types.input.cloudwatch.MetricAlarmMetricQuery;

/** The alarm's value: the published desired count while ECS runs another count, else 0. */
export const DESIRED_WHILE_DIFFERENT = "IF(ABS(desired - tasks) >= 1, desired, 0)";
/** Any desired count (≥ 1) breaches; 0 (ECS already there) does not. */
export const ALARM_THRESHOLD = 0.5;

/**
 * One step per pool size: a value in [k − 0.5, k + 0.5) sets exactly k tasks. Bounds are offsets
 * from the alarm threshold (0.5); the first step starts at 0 and the last is open-ended, as
 * Application Auto Scaling requires contiguous steps.
 */
export function exactCountSteps(min: number, max: number): StepAdjustment[] {
  const steps: StepAdjustment[] = [];
  for (let count = min; count <= max; count++) {
    steps.push({
      metricIntervalLowerBound: String(count === min ? 0 : count - 1),
      ...(count === max ? {} : { metricIntervalUpperBound: String(count) }),
      scalingAdjustment: count,
    });
  }
  return steps;
}

export function desiredWhileDifferentQueries(serviceName: pulumi.Input<string>): MetricQuery[] {
  const metric = (id: string, metricName: string): MetricQuery => ({
    id,
    metric: {
      namespace: METRIC_NAMESPACE,
      metricName,
      dimensions: { [METRIC_SERVICE_DIMENSION]: serviceName },
      stat: "Maximum",
      period: 60,
    },
    returnData: false,
  });
  return [
    metric("desired", SCALING_METRIC_NAMES.desiredWorkers),
    metric("tasks", SCALING_METRIC_NAMES.workerTasks),
    { id: "apply", expression: DESIRED_WHILE_DIFFERENT, label: "Desired workers to apply", returnData: true },
  ];
}

export interface WorkerAutoscalingArgs {
  namePrefix: string;
  clusterName: pulumi.Input<string>;
  serviceName: pulumi.Input<string>;
  minCount: number;
  maxCount: number;
  tags?: Record<string, string>;
}

export class WorkerAutoscaling extends pulumi.ComponentResource {
  readonly target: aws.appautoscaling.Target;
  readonly policy: aws.appautoscaling.Policy;
  readonly alarm: aws.cloudwatch.MetricAlarm;

  constructor(name: string, args: WorkerAutoscalingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rqueue:infra:WorkerAutoscaling", name, {}, opts);

    this.target = new aws.appautoscaling.Target(
      `${name}-target`,
      {
        serviceNamespace: "ecs",
        scalableDimension: "ecs:service:DesiredCount",
        resourceId: pulumi.interpolate`service/${args.clusterName}/${args.serviceName}`,
        minCapacity: args.minCount,
        maxCapacity: args.maxCount,
      },
      { parent: this },
    );

    this.policy = new aws.appautoscaling.Policy(
      `${name}-apply-desired`,
      {
        policyType: "StepScaling",
        serviceNamespace: this.target.serviceNamespace,
        scalableDimension: this.target.scalableDimension,
        resourceId: this.target.resourceId,
        stepScalingPolicyConfiguration: {
          adjustmentType: "ExactCapacity",
          // The policy's own hysteresis and cooldowns live in the decision; this only spaces the
          // actions one publishing interval apart while ECS catches up.
          cooldown: 60,
          metricAggregationType: "Maximum",
          stepAdjustments: exactCountSteps(args.minCount, args.maxCount),
        },
      },
      { parent: this },
    );

    this.alarm = new aws.cloudwatch.MetricAlarm(
      `${name}-desired-differs`,
      {
        name: `${args.namePrefix}-workers-desired-differs`,
        alarmDescription:
          "The scaling policy asks for another worker count than ECS runs; the action sets it exactly.",
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold: ALARM_THRESHOLD,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        metricQueries: desiredWhileDifferentQueries(args.serviceName),
        // No decision published (control plane down, ECS unreadable): keep the count as it is.
        treatMissingData: "notBreaching",
        alarmActions: [this.policy.arn],
        tags: args.tags ?? {},
      },
      { parent: this },
    );

    this.registerOutputs({ resourceId: this.target.resourceId, alarm: this.alarm.name });
  }
}
