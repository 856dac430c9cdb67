/**
 * Worker autoscaling: an Application Auto Scaling target on the worker service's desired count and
 * a target-tracking policy on BacklogPerWorker, the custom metric the control plane publishes.
 *
 * The metric's namespace, name and dimension come from @rqueue/shared, the same constants the
 * control plane publishes with, so a rename on either side cannot leave the policy watching a
 * metric that no longer exists.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { METRIC_NAMES, METRIC_NAMESPACE, METRIC_QUEUE_DIMENSION } from "@rqueue/shared";

type CustomizedMetric =
  aws.types.input.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecification;

/**
 * The signal to track. With one queue it is that queue's BacklogPerWorker. Workers serve all their
 * queues, so with several the per-queue values (each backlog / the same workers) add up to the total
 * backlog per worker: a metric-math SUM.
 */
export function backlogPerWorkerMetric(queues: readonly string[]): CustomizedMetric {
  const dimensionsFor = (queue: string) => [{ name: METRIC_QUEUE_DIMENSION, value: queue }];
  const [only, ...rest] = queues;
  if (only === undefined) throw new Error("at least one queue is needed to scale on");
  if (rest.length === 0) {
    return {
      namespace: METRIC_NAMESPACE,
      metricName: METRIC_NAMES.backlogPerWorker,
      dimensions: dimensionsFor(only),
      statistic: "Average",
    };
  }
  const ids = queues.map((_, i) => `q${i}`);
  return {
    metrics: [
      ...queues.map((queue, i) => ({
        id: ids[i] ?? `q${i}`,
        metricStat: {
          metric: {
            namespace: METRIC_NAMESPACE,
            metricName: METRIC_NAMES.backlogPerWorker,
            dimensions: dimensionsFor(queue),
          },
          stat: "Average",
        },
        returnData: false,
      })),
      { id: "total", expression: `SUM([${ids.join(", ")}])`, label: "Backlog per worker", returnData: true },
    ],
  };
}

export interface WorkerAutoscalingArgs {
  clusterName: pulumi.Input<string>;
  serviceName: pulumi.Input<string>;
  minCount: number;
  maxCount: number;
  queues: readonly string[];
  /** Jobs waiting per worker that the policy steers toward. */
  backlogPerWorkerTarget: number;
  scaleOutCooldownSeconds: number;
  scaleInCooldownSeconds: number;
}

export class WorkerAutoscaling extends pulumi.ComponentResource {
  readonly target: aws.appautoscaling.Target;
  readonly policy: aws.appautoscaling.Policy;

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
      `${name}-backlog-per-worker`,
      {
        policyType: "TargetTrackingScaling",
        serviceNamespace: this.target.serviceNamespace,
        scalableDimension: this.target.scalableDimension,
        resourceId: this.target.resourceId,
        targetTrackingScalingPolicyConfiguration: {
          targetValue: args.backlogPerWorkerTarget,
          customizedMetricSpecification: backlogPerWorkerMetric(args.queues),
          // Out fast: a growing backlog costs latency now. In slowly: workers that just caught up
          // should not be stopped (and their drains paid for) only to be started again.
          scaleOutCooldown: args.scaleOutCooldownSeconds,
          scaleInCooldown: args.scaleInCooldownSeconds,
        },
      },
      { parent: this },
    );

    this.registerOutputs({ resourceId: this.target.resourceId });
  }
}
