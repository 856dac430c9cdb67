/**
 * Building blocks shared by the two ECS services: the container-definition shape, the task and
 * execution roles, and the log group. Not a component itself: each service owns what it creates.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type AwsScope, ecsTasksAssumeRolePolicy, type PolicyDocument } from "./iam.js";

/** The subset of the ECS container-definition schema these services use. */
export interface ContainerDefinition {
  name: string;
  image: string;
  essential: boolean;
  portMappings?: { containerPort: number; hostPort?: number; protocol: "tcp" }[];
  /** Plain, non-sensitive settings only. */
  environment: { name: string; value: string }[];
  /** Sensitive settings: resolved by the ECS agent from SSM at task start, never stored in the definition. */
  secrets: { name: string; valueFrom: string }[];
  logConfiguration: { logDriver: "awslogs"; options: Record<string, string> };
  stopTimeout: number;
  linuxParameters?: { initProcessEnabled: boolean };
  command?: string[];
  /** Containers that must reach a state before this one starts. */
  dependsOn?: { containerName: string; condition: "START" | "COMPLETE" | "SUCCESS" | "HEALTHY" }[];
  /** ECS ignores the image's HEALTHCHECK; it runs only this one. */
  healthCheck?: {
    command: string[];
    interval: number;
    timeout: number;
    retries: number;
    startPeriod: number;
  };
}

/** The readiness gate's container: exits 0 once the Redis Cluster answers cluster_state:ok. */
export const REDIS_GATE_CONTAINER = "redis-ready";
/** redis-cli comes with the image the Redis nodes run (ECR Public, no Docker Hub limits). */
export const REDIS_GATE_IMAGE = "public.ecr.aws/docker/library/redis:7.2";

/** Polls every node of REDIS_URL (redis-cluster://ip:port,...) until one reports cluster_state:ok. */
export const REDIS_GATE_SCRIPT = readFileSync(
  fileURLToPath(new URL("./redis-gate.sh", import.meta.url)),
  "utf8",
);

/**
 * The task's readiness gate: a short-lived container that waits for the Redis Cluster, and the app
 * container set to start only after it succeeded. On the first deploy the services are created
 * while the nodes still form the cluster; without the gate the apps would start, fail to reach
 * Redis and exit, and the deployment circuit breaker would roll the first `up` back. (The hosts'
 * ECS_CONTAINER_START_TIMEOUT bounds the wait: see ecs-cluster.ts.)
 */
export function withRedisGate(
  app: ContainerDefinition,
  gate: { redisUrl: string; redisPasswordArn: string; logGroupName: string; region: string; image?: string },
): ContainerDefinition[] {
  return [
    {
      ...app,
      dependsOn: [...(app.dependsOn ?? []), { containerName: REDIS_GATE_CONTAINER, condition: "SUCCESS" }],
    },
    {
      name: REDIS_GATE_CONTAINER,
      image: gate.image ?? REDIS_GATE_IMAGE,
      essential: false,
      command: ["sh", "-c", REDIS_GATE_SCRIPT],
      environment: env({ REDIS_URL: gate.redisUrl }),
      // redis-cli reads the password from REDISCLI_AUTH: never on a command line.
      secrets: [{ name: "REDISCLI_AUTH", valueFrom: gate.redisPasswordArn }],
      logConfiguration: awslogs(gate.logGroupName, gate.region, REDIS_GATE_CONTAINER),
      stopTimeout: 2,
    },
  ];
}

export const env = (values: Record<string, string>): ContainerDefinition["environment"] =>
  Object.entries(values).map(([name, value]) => ({ name, value }));

export function awslogs(logGroupName: string, region: string, streamPrefix: string) {
  return {
    logDriver: "awslogs" as const,
    options: {
      "awslogs-group": logGroupName,
      "awslogs-region": region,
      "awslogs-stream-prefix": streamPrefix,
    },
  };
}

export interface TaskRolesArgs {
  scope: pulumi.Input<AwsScope>;
  /** What the application code may do. */
  taskPolicy: pulumi.Input<PolicyDocument>;
  /** What the ECS agent may do on the task's behalf (pull, log, fetch secrets). */
  executionPolicy: pulumi.Input<PolicyDocument>;
  tags?: Record<string, string>;
}

export interface TaskRoles {
  taskRole: aws.iam.Role;
  executionRole: aws.iam.Role;
  /** Services depend on these so no task starts before its permissions exist. */
  policies: aws.iam.RolePolicy[];
}

export function createTaskRoles(name: string, parent: pulumi.Resource, args: TaskRolesArgs): TaskRoles {
  const assumeRolePolicy = pulumi
    .output(args.scope)
    .apply((s) => JSON.stringify(ecsTasksAssumeRolePolicy(s)));
  const role = (kind: string, document: pulumi.Input<PolicyDocument>) => {
    const r = new aws.iam.Role(
      `${name}-${kind}-role`,
      { assumeRolePolicy, tags: args.tags ?? {} },
      { parent },
    );
    const policy = new aws.iam.RolePolicy(
      `${name}-${kind}-policy`,
      { role: r.name, policy: pulumi.output(document).apply((d) => JSON.stringify(d)) },
      { parent },
    );
    return { r, policy };
  };
  const task = role("task", args.taskPolicy);
  const execution = role("execution", args.executionPolicy);
  return { taskRole: task.r, executionRole: execution.r, policies: [task.policy, execution.policy] };
}

export function createLogGroup(
  name: string,
  parent: pulumi.Resource,
  args: { logGroupName: string; retentionInDays: number; tags?: Record<string, string> },
): aws.cloudwatch.LogGroup {
  return new aws.cloudwatch.LogGroup(
    name,
    { name: args.logGroupName, retentionInDays: args.retentionInDays, tags: args.tags ?? {} },
    { parent },
  );
}
