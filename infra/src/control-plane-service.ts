/**
 * Control-plane service: the HTTP API behind a public Application Load Balancer, running as ECS
 * tasks in the private subnets. Owns its load balancer, listeners, target group, log group, IAM
 * roles, task definition and service; also opens its task security group to the ALB only.
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
import { type AwsScope, controlPlaneTaskPolicy, executionRolePolicy } from "./iam.js";
import { queueListText } from "./worker-service.js";

export const CONTROL_PLANE_PORT = 8080;
export const CONTROL_PLANE_CONTAINER = "control-plane";
/**
 * The target group checks liveness: ECS replaces tasks the load balancer calls unhealthy, and a
 * Redis outage must not make it replace every control-plane task in a loop (restarting them does
 * not bring Redis back). Readiness (/readyz) stays for traffic decisions the app makes itself.
 */
export const HEALTH_CHECK_PATH = "/healthz";
/** Above the control plane's longest GET /v1/jobs/:id/wait (60 s), so long polls never race a 504. */
export const ALB_IDLE_TIMEOUT_SECONDS = 120;

export interface ControlPlaneContainerArgs {
  image: string;
  region: string;
  redisUrl: string;
  clusterName: string;
  /** The service the control plane reports on and publishes the scaling decision for. */
  workerServiceName: string;
  redisPasswordArn: string;
  apiKeysArn: string;
  logGroupName: string;
  /** The worker service as the scaling policy sees it (the same values the workers run with). */
  workerFleet: WorkerFleetSettings;
  /** Replicas each submission waits for (the cluster's min-replicas-to-write). */
  submitReplicas: number;
}

export interface WorkerFleetSettings {
  queues: readonly QueueWeight[];
  concurrency: number;
  minCount: number;
  maxCount: number;
  targetDrainSeconds: number;
  fallbackJobSeconds: number;
}

export function controlPlaneContainer(a: ControlPlaneContainerArgs): ContainerDefinition {
  return {
    name: CONTROL_PLANE_CONTAINER,
    image: a.image,
    essential: true,
    portMappings: [{ containerPort: CONTROL_PLANE_PORT, hostPort: CONTROL_PLANE_PORT, protocol: "tcp" }],
    environment: env({
      PORT: String(CONTROL_PLANE_PORT),
      REDIS_URL: a.redisUrl,
      RQ_CLOUDWATCH: "1",
      AWS_REGION: a.region,
      RQ_ECS_CLUSTER: a.clusterName,
      RQ_ECS_SERVICE: a.workerServiceName,
      // Read by the scaling decision (control-plane/src/config/worker-fleet.ts).
      RQ_QUEUES: queueListText(a.workerFleet.queues),
      RQ_WORKER_CONCURRENCY: String(a.workerFleet.concurrency),
      RQ_AUTOSCALE_MIN: String(a.workerFleet.minCount),
      RQ_AUTOSCALE_MAX: String(a.workerFleet.maxCount),
      RQ_AUTOSCALE_TARGET_DRAIN_SECONDS: String(a.workerFleet.targetDrainSeconds),
      RQ_AUTOSCALE_FALLBACK_JOB_MS: String(Math.round(a.workerFleet.fallbackJobSeconds * 1000)),
      // A job acknowledged with 201 is on a replica: a failover cannot discard it.
      RQ_SUBMIT_REPLICAS: String(a.submitReplicas),
      NODE_ENV: "production",
    }),
    secrets: [
      { name: "REDIS_PASSWORD", valueFrom: a.redisPasswordArn },
      { name: "RQ_API_KEYS", valueFrom: a.apiKeysArn },
    ],
    logConfiguration: awslogs(a.logGroupName, a.region, CONTROL_PLANE_CONTAINER),
    // Long enough to finish in-flight HTTP requests after the ALB stops routing to the task.
    stopTimeout: 30,
    // An init process forwards SIGTERM to node and reaps zombies.
    linuxParameters: { initProcessEnabled: true },
  };
}

export interface ControlPlaneServiceArgs {
  namePrefix: string;
  region: string;
  architecture: Architecture;
  scope: pulumi.Input<AwsScope>;
  vpcId: pulumi.Input<string>;
  publicSubnetIds: pulumi.Input<string[]>;
  privateSubnetIds: pulumi.Input<string[]>;
  /** The task security group (from TaskSecurityGroups); Redis trusts it. */
  taskSecurityGroupId: pulumi.Input<string>;
  clusterName: pulumi.Input<string>;
  clusterArn: pulumi.Input<string>;
  capacityProviderName: pulumi.Input<string>;
  /** Resources the service must wait for (the cluster's capacity-provider association). */
  dependsOn?: pulumi.Resource[];
  serviceName: string;
  workerServiceName: string;
  workerFleet: WorkerFleetSettings;
  submitReplicas: number;
  metricNamespace: string;
  image: { uri: pulumi.Input<string>; repositoryArn: pulumi.Input<string> };
  redisUrl: pulumi.Input<string>;
  secrets: { redisPasswordArn: pulumi.Input<string>; apiKeysArn: pulumi.Input<string> };
  /** Extra environment and secrets for the container (the archive's database and blob bucket). */
  addOns?: pulumi.Input<ContainerAddOns>;
  desiredCount: number;
  cpu: number;
  memory: number;
  /** ACM certificate: when set, the ALB serves HTTPS and redirects HTTP to it. */
  certificateArn?: string | undefined;
  /** Internal (in the private subnets, VPC only) or internet-facing from `allowedCidrs` (default: anywhere). */
  access?: { internal: boolean; allowedCidrs: string[] };
  /** The DNS name users reach the API at (a record the user points at the ALB); only used for apiUrl. */
  domainName?: string | undefined;
  logRetentionDays: number;
  tags?: Record<string, string>;
}

export class ControlPlaneService extends pulumi.ComponentResource {
  readonly service: aws.ecs.Service;
  readonly serviceName: pulumi.Output<string>;
  readonly taskDefinition: aws.ecs.TaskDefinition;
  readonly loadBalancer: aws.lb.LoadBalancer;
  readonly targetGroup: aws.lb.TargetGroup;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly taskRole: aws.iam.Role;
  readonly apiUrl: pulumi.Output<string>;

  constructor(name: string, args: ControlPlaneServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rqueue:infra:ControlPlaneService", name, {}, opts);
    const tags = args.tags ?? {};
    const https = args.certificateArn !== undefined && args.certificateArn !== "";

    // ---- load balancer --------------------------------------------------------------------
    const albSg = new aws.ec2.SecurityGroup(
      `${name}-alb-sg`,
      {
        vpcId: args.vpcId,
        description: "R-queue API load balancer",
        tags: { ...tags, Name: `${args.namePrefix}-alb` },
      },
      { parent: this },
    );
    // Internal: reachable from inside the VPC (peered networks, VPN) only; else from the ranges given.
    const access = args.access ?? { internal: false, allowedCidrs: ["0.0.0.0/0"] };
    const sources = access.internal ? ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] : access.allowedCidrs;
    for (const port of https ? [80, 443] : [80]) {
      sources.forEach((cidr, i) => {
        new aws.vpc.SecurityGroupIngressRule(
          `${name}-alb-in-${port}${i === 0 ? "" : `-${i}`}`,
          {
            securityGroupId: albSg.id,
            ipProtocol: "tcp",
            fromPort: port,
            toPort: port,
            cidrIpv4: cidr,
            description: `${port === 443 ? "HTTPS" : "HTTP"} from ${cidr}`,
          },
          { parent: this },
        );
      });
    }
    // The ALB may only talk to the control-plane tasks, and the tasks accept only the ALB.
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-alb-to-tasks`,
      {
        securityGroupId: albSg.id,
        referencedSecurityGroupId: args.taskSecurityGroupId,
        ipProtocol: "tcp",
        fromPort: CONTROL_PLANE_PORT,
        toPort: CONTROL_PLANE_PORT,
        description: "To control-plane tasks",
      },
      { parent: this },
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-tasks-from-alb`,
      {
        securityGroupId: args.taskSecurityGroupId,
        referencedSecurityGroupId: albSg.id,
        ipProtocol: "tcp",
        fromPort: CONTROL_PLANE_PORT,
        toPort: CONTROL_PLANE_PORT,
        description: "From the API load balancer",
      },
      { parent: this },
    );

    this.loadBalancer = new aws.lb.LoadBalancer(
      `${name}-alb`,
      {
        loadBalancerType: "application",
        internal: access.internal,
        subnets: access.internal ? args.privateSubnetIds : args.publicSubnetIds,
        idleTimeout: ALB_IDLE_TIMEOUT_SECONDS,
        securityGroups: [albSg.id],
        dropInvalidHeaderFields: true,
        tags,
      },
      { parent: this },
    );
    this.targetGroup = new aws.lb.TargetGroup(
      `${name}-tg`,
      {
        vpcId: args.vpcId,
        port: CONTROL_PLANE_PORT,
        protocol: "HTTP",
        // awsvpc tasks register by IP, not by instance.
        targetType: "ip",
        deregistrationDelay: 30,
        healthCheck: {
          path: HEALTH_CHECK_PATH,
          matcher: "200",
          interval: 15,
          timeout: 5,
          healthyThreshold: 2,
          unhealthyThreshold: 3,
        },
        tags,
      },
      { parent: this },
    );
    const forward = [{ type: "forward", targetGroupArn: this.targetGroup.arn }];
    const listeners: aws.lb.Listener[] = [];
    if (https) {
      listeners.push(
        new aws.lb.Listener(
          `${name}-https`,
          {
            loadBalancerArn: this.loadBalancer.arn,
            port: 443,
            protocol: "HTTPS",
            certificateArn: args.certificateArn,
            sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
            defaultActions: forward,
          },
          { parent: this },
        ),
        new aws.lb.Listener(
          `${name}-http`,
          {
            loadBalancerArn: this.loadBalancer.arn,
            port: 80,
            protocol: "HTTP",
            defaultActions: [
              { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
            ],
          },
          { parent: this },
        ),
      );
    } else {
      listeners.push(
        new aws.lb.Listener(
          `${name}-http`,
          { loadBalancerArn: this.loadBalancer.arn, port: 80, protocol: "HTTP", defaultActions: forward },
          { parent: this },
        ),
      );
    }
    const host = args.domainName ? pulumi.output(args.domainName) : this.loadBalancer.dnsName;
    this.apiUrl = pulumi.interpolate`${https ? "https" : "http"}://${host}`;

    // ---- task -------------------------------------------------------------------------------
    this.logGroup = createLogGroup(`${name}-logs`, this, {
      logGroupName: `/${args.namePrefix}/control-plane`,
      retentionInDays: args.logRetentionDays,
      tags,
    });
    const roles = createTaskRoles(name, this, {
      scope: args.scope,
      taskPolicy: pulumi.all([args.scope, args.clusterName]).apply(([scope, clusterName]) =>
        controlPlaneTaskPolicy(scope, {
          metricNamespace: args.metricNamespace,
          clusterName,
          serviceNames: [args.workerServiceName, args.serviceName],
        }),
      ),
      executionPolicy: pulumi
        .all([
          args.image.repositoryArn,
          this.logGroup.arn,
          args.secrets.redisPasswordArn,
          args.secrets.apiKeysArn,
          args.addOns ?? NO_ADD_ONS,
        ])
        .apply(([repositoryArn, logGroupArn, redisPasswordArn, apiKeysArn, addOns]) =>
          executionRolePolicy({
            repositoryArn,
            logGroupArn,
            secretArns: [redisPasswordArn, apiKeysArn, ...addOns.secrets.map((secret) => secret.valueFrom)],
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
            args.clusterName,
            args.secrets.redisPasswordArn,
            args.secrets.apiKeysArn,
            this.logGroup.name,
            args.addOns ?? NO_ADD_ONS,
          ])
          .apply(([image, redisUrl, clusterName, redisPasswordArn, apiKeysArn, logGroupName, addOns]) =>
            JSON.stringify(
              withRedisGate(
                applyAddOns(
                  controlPlaneContainer({
                    image,
                    region: args.region,
                    redisUrl,
                    clusterName,
                    workerServiceName: args.workerServiceName,
                    workerFleet: args.workerFleet,
                    submitReplicas: args.submitReplicas,
                    redisPasswordArn,
                    apiKeysArn,
                    logGroupName,
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

    // ---- service ----------------------------------------------------------------------------
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
        loadBalancers: [
          {
            targetGroupArn: this.targetGroup.arn,
            containerName: CONTROL_PLANE_CONTAINER,
            containerPort: CONTROL_PLANE_PORT,
          },
        ],
        healthCheckGracePeriodSeconds: 60,
        // Rolling deploys keep at least half the API up; a bad image rolls back by itself.
        deploymentMinimumHealthyPercent: 50,
        deploymentMaximumPercent: 200,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        // One task per AZ first, so an AZ outage leaves the API answering.
        orderedPlacementStrategies: [{ type: "spread", field: "attribute:ecs.availability-zone" }],
        propagateTags: "SERVICE",
        enableEcsManagedTags: true,
        waitForSteadyState: true,
        tags,
      },
      // A target group must be attached to a listener before a service can register targets in it.
      { parent: this, dependsOn: [...listeners, ...roles.policies, ...(args.dependsOn ?? [])] },
    );
    this.serviceName = this.service.name;

    this.registerOutputs({ apiUrl: this.apiUrl, serviceName: this.serviceName });
  }
}
