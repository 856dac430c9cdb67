/**
 * Worker service: the job-processing tasks. No load balancer and no inbound traffic; they pull work
 * from Redis. The task count belongs to WorkerAutoscaling, so this service only sets the starting
 * count and leaves `desiredCount` alone afterwards.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { QueueWeight } from "@rqueue/shared";
import { applyAddOns, type ContainerAddOns, NO_ADD_ONS } from "./archive.js";
import type { Architecture } from "./config.js";
import {
  awslogs,
  type ContainerDefinition,
  createLogGroup,
  createTaskRoles,
  env,
  withRedisGate,
} from "./ecs-task.js";
import { type AwsScope, executionRolePolicy, workerTaskPolicy } from "./iam.js";

export const WORKER_CONTAINER = "worker";

/** RQ_QUEUES as the worker reads it: `name[:weight]`, weight 1 left implicit. */
export const queueListText = (queues: readonly QueueWeight[]) =>
  queues.map((q) => (q.weight === 1 ? q.name : `${q.name}:${q.weight}`)).join(",");

export interface WorkerContainerArgs {
  image: string;
  region: string;
  redisUrl: string;
  redisPasswordArn: string;
  queues: QueueWeight[];
  concurrency: number;
  drainTimeoutMs: number;
  stopTimeoutSeconds: number;
  logGroupName: string;
  /** Replicas each report of outcomes waits for (the cluster's min-replicas-to-write). */
  settleReplicas: number;
}

export function workerContainer(a: WorkerContainerArgs): ContainerDefinition {
  return {
    name: WORKER_CONTAINER,
    image: a.image,
    essential: true,
    environment: env({
      REDIS_URL: a.redisUrl,
      RQ_QUEUES: queueListText(a.queues),
      RQ_CONCURRENCY: String(a.concurrency),
      RQ_DRAIN_TIMEOUT_MS: String(a.drainTimeoutMs),
      RQ_SETTLE_REPLICAS: String(a.settleReplicas),
      AWS_REGION: a.region,
      NODE_ENV: "production",
    }),
    secrets: [{ name: "REDIS_PASSWORD", valueFrom: a.redisPasswordArn }],
    logConfiguration: awslogs(a.logGroupName, a.region, WORKER_CONTAINER),
    // SIGTERM starts the drain; SIGKILL comes after stopTimeout. It must outlast the drain
    // (validated in config.ts) or in-flight jobs are cut off and retried elsewhere.
    stopTimeout: a.stopTimeoutSeconds,
    linuxParameters: { initProcessEnabled: true },
    // The worker touches a health file every heartbeat; a stuck event loop stops it.
    healthCheck: {
      command: ["CMD", "node", "worker-image/dist/main.js", "--healthcheck"],
      interval: 15,
      timeout: 5,
      retries: 3,
      startPeriod: 20,
    },
  };
}

export interface WorkerServiceArgs {
  namePrefix: string;
  region: string;
  architecture: Architecture;
  scope: pulumi.Input<AwsScope>;
  privateSubnetIds: pulumi.Input<string[]>;
  taskSecurityGroupId: pulumi.Input<string>;
  clusterName: pulumi.Input<string>;
  clusterArn: pulumi.Input<string>;
  capacityProviderName: pulumi.Input<string>;
  dependsOn?: pulumi.Resource[];
  serviceName: string;
  image: { uri: pulumi.Input<string>; repositoryArn: pulumi.Input<string> };
  redisUrl: pulumi.Input<string>;
  redisPasswordArn: pulumi.Input<string>;
  /** Extra environment and secrets for the container (the blob bucket). */
  addOns?: pulumi.Input<ContainerAddOns>;
  /** Initial task count; the autoscaling target's minimum. */
  desiredCount: number;
  cpu: number;
  memory: number;
  queues: QueueWeight[];
  concurrency: number;
  drainTimeoutMs: number;
  stopTimeoutSeconds: number;
  settleReplicas: number;
  logRetentionDays: number;
  tags?: Record<string, string>;
}

export class WorkerService extends pulumi.ComponentResource {
  readonly service: aws.ecs.Service;
  readonly serviceName: pulumi.Output<string>;
  readonly taskDefinition: aws.ecs.TaskDefinition;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly taskRole: aws.iam.Role;

  constructor(name: string, args: WorkerServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rqueue:infra:WorkerService", name, {}, opts);
    const tags = args.tags ?? {};

    this.logGroup = createLogGroup(`${name}-logs`, this, {
      logGroupName: `/${args.namePrefix}/worker`,
      retentionInDays: args.logRetentionDays,
      tags,
    });
    const roles = createTaskRoles(name, this, {
      scope: args.scope,
      taskPolicy: pulumi
        .all([args.scope, args.clusterName])
        .apply(([scope, clusterName]) => workerTaskPolicy(scope, clusterName)),
      executionPolicy: pulumi
        .all([args.image.repositoryArn, this.logGroup.arn, args.redisPasswordArn, args.addOns ?? NO_ADD_ONS])
        .apply(([repositoryArn, logGroupArn, redisPasswordArn, addOns]) =>
          executionRolePolicy({
            repositoryArn,
            logGroupArn,
            secretArns: [redisPasswordArn, ...addOns.secrets.map((secret) => secret.valueFrom)],
          }),
        ),
      tags,
    });
    this.taskRole = roles.taskRole;

    this.taskDefinition = new aws.ecs.TaskDefinition(
      `${name}-task`,
      {
        family: args.serviceName,
        networkMode: "awsvpc",
        requiresCompatibilities: ["EC2"],
        cpu: String(args.cpu),
        memory: String(args.memory),
        runtimePlatform: {
          operatingSystemFamily: "LINUX",
          cpuArchitecture: args.architecture === "arm64" ? "ARM64" : "X86_64",
        },
        executionRoleArn: roles.executionRole.arn,
        taskRoleArn: roles.taskRole.arn,
        containerDefinitions: pulumi
          .all([
            args.image.uri,
            args.redisUrl,
            args.redisPasswordArn,
            this.logGroup.name,
            args.addOns ?? NO_ADD_ONS,
          ])
          .apply(([image, redisUrl, redisPasswordArn, logGroupName, addOns]) =>
            JSON.stringify(
              withRedisGate(
                applyAddOns(
                  workerContainer({
                    image,
                    region: args.region,
                    redisUrl,
                    redisPasswordArn,
                    queues: args.queues,
                    concurrency: args.concurrency,
                    drainTimeoutMs: args.drainTimeoutMs,
                    stopTimeoutSeconds: args.stopTimeoutSeconds,
                    logGroupName,
                    settleReplicas: args.settleReplicas,
                  }),
                  addOns,
                ),
                { redisUrl, redisPasswordArn, logGroupName, region: args.region },
              ),
            ),
          ),
        tags,
      },
      { parent: this },
    );

    this.service = new aws.ecs.Service(
      `${name}-service`,
      {
        name: args.serviceName,
        cluster: args.clusterArn,
        taskDefinition: this.taskDefinition.arn,
        desiredCount: args.desiredCount,
        capacityProviderStrategies: [{ capacityProvider: args.capacityProviderName, weight: 1, base: 0 }],
        networkConfiguration: {
          subnets: args.privateSubnetIds,
          securityGroups: [args.taskSecurityGroupId],
          assignPublicIp: false,
        },
        // Start new workers before stopping old ones: draining tasks keep finishing their jobs.
        deploymentMinimumHealthyPercent: 100,
        deploymentMaximumPercent: 200,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        orderedPlacementStrategies: [{ type: "spread", field: "attribute:ecs.availability-zone" }],
        propagateTags: "SERVICE",
        enableEcsManagedTags: true,
        waitForSteadyState: true,
        tags,
      },
      {
        parent: this,
        dependsOn: [...roles.policies, ...(args.dependsOn ?? [])],
        // The autoscaling policy owns the task count once the service exists.
        ignoreChanges: ["desiredCount"],
      },
    );
    this.serviceName = this.service.name;

    this.registerOutputs({ serviceName: this.serviceName });
  }
}
