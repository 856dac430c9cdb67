/**
 * Alarms: the conditions an operator must hear about — dead-lettered jobs growing, the oldest
 * pending job getting too old, no healthy workers, the API without healthy targets, and Redis nodes
 * failing their EC2 status checks — plus an optional SNS topic (with an e-mail subscription) they
 * notify. Queue alarms read the control plane's metrics through the constants in @rqueue/shared.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { METRIC_NAMES, METRIC_NAMESPACE, METRIC_QUEUE_DIMENSION } from "@rqueue/shared";

export interface AlarmsArgs {
  namePrefix: string;
  region: string;
  partition: pulumi.Input<string>;
  queues: readonly string[];
  /** When set, an SNS topic is created, subscribed to this address, and every alarm notifies it. */
  email?: string | undefined;
  oldestPendingAgeSeconds: number;
  /** Alarm when DeadLettered rises by more than this within five minutes. */
  deadLetteredGrowthThreshold: number;
  redisInstanceIds: pulumi.Input<string>[];
  loadBalancerArnSuffix: pulumi.Input<string>;
  targetGroupArnSuffix: pulumi.Input<string>;
  tags?: Record<string, string>;
}

export class Alarms extends pulumi.ComponentResource {
  readonly topic: aws.sns.Topic | undefined;
  readonly alarms: aws.cloudwatch.MetricAlarm[] = [];

  constructor(name: string, args: AlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rqueue:infra:Alarms", name, {}, opts);
    const tags = args.tags ?? {};

    if (args.email) {
      this.topic = new aws.sns.Topic(
        `${name}-topic`,
        { name: `${args.namePrefix}-alarms`, tags },
        { parent: this },
      );
      // The recipient must confirm the subscription from the e-mail AWS sends.
      new aws.sns.TopicSubscription(
        `${name}-email`,
        { topic: this.topic.arn, protocol: "email", endpoint: args.email },
        { parent: this },
      );
    }
    const notify = this.topic ? [this.topic.arn] : [];

    const alarm = (key: string, alarmArgs: aws.cloudwatch.MetricAlarmArgs) => {
      const created = new aws.cloudwatch.MetricAlarm(
        `${name}-${key}`,
        {
          name: `${args.namePrefix}-${key}`,
          alarmActions: notify,
          okActions: notify,
          tags,
          ...alarmArgs,
        },
        { parent: this },
      );
      this.alarms.push(created);
      return created;
    };

    for (const queue of args.queues) {
      const dimensions = { [METRIC_QUEUE_DIMENSION]: queue };
      // DeadLettered is a level (jobs in the dead-letter set): any rise means jobs exhausted their retries.
      alarm(`${queue}-dead-lettered-growing`, {
        alarmDescription: `Jobs on queue "${queue}" are being dead-lettered.`,
        comparisonOperator: "GreaterThanThreshold",
        threshold: args.deadLetteredGrowthThreshold,
        evaluationPeriods: 1,
        treatMissingData: "notBreaching",
        metricQueries: [
          {
            id: "dead",
            metric: {
              namespace: METRIC_NAMESPACE,
              metricName: METRIC_NAMES.deadLettered,
              dimensions,
              stat: "Maximum",
              period: 300,
            },
            returnData: false,
          },
          {
            id: "growth",
            expression: "DIFF(dead)",
            label: "Dead-lettered since last period",
            returnData: true,
          },
        ],
      });
      alarm(`${queue}-oldest-pending-too-old`, {
        alarmDescription: `The oldest pending job on "${queue}" has waited over ${args.oldestPendingAgeSeconds}s.`,
        namespace: METRIC_NAMESPACE,
        metricName: METRIC_NAMES.oldestPendingAgeSeconds,
        dimensions,
        statistic: "Maximum",
        period: 60,
        // 3 of 5 minutes: one slow minute during a scale-out is not an incident.
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        comparisonOperator: "GreaterThanThreshold",
        threshold: args.oldestPendingAgeSeconds,
        treatMissingData: "notBreaching",
      });
      alarm(`${queue}-no-healthy-workers`, {
        alarmDescription: `No healthy worker is serving "${queue}": jobs are not being processed.`,
        namespace: METRIC_NAMESPACE,
        metricName: METRIC_NAMES.healthyWorkers,
        dimensions,
        statistic: "Minimum",
        period: 60,
        evaluationPeriods: 3,
        comparisonOperator: "LessThanThreshold",
        threshold: 1,
        // Silence is not health: if the control plane stops publishing, nobody is watching workers.
        treatMissingData: "breaching",
      });
    }

    alarm("api-no-healthy-targets", {
      alarmDescription: "The API load balancer has no healthy control-plane task.",
      namespace: "AWS/ApplicationELB",
      metricName: "HealthyHostCount",
      dimensions: { LoadBalancer: args.loadBalancerArnSuffix, TargetGroup: args.targetGroupArnSuffix },
      statistic: "Minimum",
      period: 60,
      evaluationPeriods: 2,
      comparisonOperator: "LessThanThreshold",
      threshold: 1,
      treatMissingData: "breaching",
    });

    args.redisInstanceIds.forEach((instanceId, i) => {
      alarm(`redis-${i}-status-check`, {
        alarmDescription: `Redis node ${i} fails its EC2 status checks (instance or host).`,
        namespace: "AWS/EC2",
        metricName: "StatusCheckFailed",
        dimensions: { InstanceId: instanceId },
        statistic: "Maximum",
        period: 60,
        evaluationPeriods: 2,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold: 1,
        treatMissingData: "breaching",
      });
      // Host failures are fixed by EC2 itself: recovery keeps the instance ID, ENI and volume.
      alarm(`redis-${i}-auto-recover`, {
        alarmDescription: `Recover Redis node ${i} onto healthy hardware when its host fails.`,
        namespace: "AWS/EC2",
        metricName: "StatusCheckFailed_System",
        dimensions: { InstanceId: instanceId },
        statistic: "Maximum",
        period: 60,
        evaluationPeriods: 2,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold: 1,
        alarmActions: [
          pulumi.interpolate`arn:${args.partition}:automate:${args.region}:ec2:recover`,
          ...notify,
        ],
        okActions: [],
      });
    });

    this.registerOutputs({ topicArn: this.topic?.arn, alarmCount: this.alarms.length });
  }
}
