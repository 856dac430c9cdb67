/**
 * CloudWatch dashboard: the queue metrics the control plane publishes (per queue), next to what
 * they drive — worker task count, ECS host capacity, API traffic and Redis node CPU — so one page
 * shows whether autoscaling is keeping up.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  METRIC_NAMES,
  METRIC_NAMESPACE,
  METRIC_QUEUE_DIMENSION,
  METRIC_SERVICE_DIMENSION,
  SCALING_METRIC_NAMES,
} from "@rqueue/shared";

export interface DashboardArgs {
  namePrefix: string;
  region: string;
  queues: readonly string[];
  clusterName: pulumi.Input<string>;
  workerServiceName: pulumi.Input<string>;
  controlPlaneServiceName: pulumi.Input<string>;
  autoScalingGroupName: pulumi.Input<string>;
  loadBalancerArnSuffix: pulumi.Input<string>;
  redisInstanceIds: pulumi.Input<string>[];
}

interface ResolvedDashboardArgs {
  region: string;
  queues: readonly string[];
  clusterName: string;
  workerServiceName: string;
  controlPlaneServiceName: string;
  autoScalingGroupName: string;
  loadBalancerArnSuffix: string;
  redisInstanceIds: string[];
}

type MetricRow = (string | Record<string, unknown>)[];

/** The dashboard body (CloudWatch's JSON schema), as a pure function of resolved names. */
export function renderDashboardBody(a: ResolvedDashboardArgs): string {
  const width = 12;
  const height = 6;
  const widgets: object[] = [];
  const graph = (title: string, metrics: MetricRow[], extra: Record<string, unknown> = {}) => {
    const i = widgets.length;
    widgets.push({
      type: "metric",
      x: (i % 2) * width,
      y: Math.floor(i / 2) * height,
      width,
      height,
      properties: {
        title,
        region: a.region,
        view: "timeSeries",
        stacked: false,
        period: 60,
        metrics,
        ...extra,
      },
    });
  };
  const perQueue = (metricName: string, stat: string): MetricRow[] =>
    a.queues.map((q) => [METRIC_NAMESPACE, metricName, METRIC_QUEUE_DIMENSION, q, { stat, label: q }]);

  graph("Backlog (pending + due)", perQueue(METRIC_NAMES.backlog, "Maximum"));
  const scaling = (metricName: string, label: string): MetricRow => [
    METRIC_NAMESPACE,
    metricName,
    METRIC_SERVICE_DIMENSION,
    a.workerServiceName,
    { stat: "Maximum", label },
  ];
  graph("Worker count: decided, asked of ECS, running", [
    scaling(SCALING_METRIC_NAMES.desiredWorkers, "Desired (scaling policy)"),
    scaling(SCALING_METRIC_NAMES.workerTasks, "ECS desired count"),
    scaling(SCALING_METRIC_NAMES.runningWorkerTasks, "Running tasks"),
  ]);
  graph("Mean job run time (s)", perQueue(METRIC_NAMES.jobRunSeconds, "Average"));
  graph("Processing jobs", perQueue(METRIC_NAMES.processingJobs, "Maximum"));
  graph("Oldest pending job age (s)", perQueue(METRIC_NAMES.oldestPendingAgeSeconds, "Maximum"));
  graph("Dead-lettered jobs", perQueue(METRIC_NAMES.deadLettered, "Maximum"));
  graph("Healthy workers", [
    ...perQueue(METRIC_NAMES.healthyWorkers, "Minimum"),
    [
      "ECS/ContainerInsights",
      "RunningTaskCount",
      "ClusterName",
      a.clusterName,
      "ServiceName",
      a.workerServiceName,
      { stat: "Average", label: "Running worker tasks" },
    ],
  ]);
  graph("Service CPU (%)", [
    [
      "AWS/ECS",
      "CPUUtilization",
      "ClusterName",
      a.clusterName,
      "ServiceName",
      a.workerServiceName,
      { label: "worker" },
    ],
    [
      "AWS/ECS",
      "CPUUtilization",
      "ClusterName",
      a.clusterName,
      "ServiceName",
      a.controlPlaneServiceName,
      { label: "control plane" },
    ],
  ]);
  graph("ECS hosts", [
    [
      "AWS/AutoScaling",
      "GroupInServiceInstances",
      "AutoScalingGroupName",
      a.autoScalingGroupName,
      { stat: "Average" },
    ],
  ]);
  graph("API requests and 5xx", [
    ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", a.loadBalancerArnSuffix, { stat: "Sum" }],
    [
      "AWS/ApplicationELB",
      "HTTPCode_Target_5XX_Count",
      "LoadBalancer",
      a.loadBalancerArnSuffix,
      { stat: "Sum" },
    ],
  ]);
  graph(
    "Redis node CPU (%)",
    a.redisInstanceIds.map((id, i) => [
      "AWS/EC2",
      "CPUUtilization",
      "InstanceId",
      id,
      { label: `redis-${i}` },
    ]),
  );
  return JSON.stringify({ widgets });
}

export class Dashboard extends pulumi.ComponentResource {
  readonly dashboard: aws.cloudwatch.Dashboard;
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: DashboardArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rqueue:infra:Dashboard", name, {}, opts);

    const body = pulumi
      .all([
        args.clusterName,
        args.workerServiceName,
        args.controlPlaneServiceName,
        args.autoScalingGroupName,
        args.loadBalancerArnSuffix,
        pulumi.all(args.redisInstanceIds),
      ])
      .apply(
        ([
          clusterName,
          workerServiceName,
          controlPlaneServiceName,
          autoScalingGroupName,
          lbSuffix,
          redisIds,
        ]) =>
          renderDashboardBody({
            region: args.region,
            queues: args.queues,
            clusterName,
            workerServiceName,
            controlPlaneServiceName,
            autoScalingGroupName,
            loadBalancerArnSuffix: lbSuffix,
            redisInstanceIds: redisIds,
          }),
      );

    this.dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      { dashboardName: args.namePrefix, dashboardBody: body },
      { parent: this },
    );
    this.url = pulumi.interpolate`https://${args.region}.console.aws.amazon.com/cloudwatch/home?region=${args.region}#dashboards:name=${this.dashboard.dashboardName}`;

    this.registerOutputs({ url: this.url });
  }
}
