/**
 * IAM policy documents for the ECS tasks, as pure functions of names and ARNs, so the least-privilege
 * rules can be read (and tested) in one place. The services create the roles and attach these.
 *
 * - Control-plane task role: publish metrics in the R-queue namespace only; describe this stack's
 *   ECS services only.
 * - Worker task role: task scale-in protection only. A draining worker calls the ECS agent
 *   endpoint ($ECS_AGENT_URI/task-protection/v1/state), and the agent calls
 *   ecs:UpdateTaskProtection / ecs:GetTaskProtection with the task role's credentials.
 * - Execution roles (used by the ECS agent, not by the app): pull the one image, write the one log
 *   group, read the listed secrets.
 */

export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: Record<string, string>;
  Action: string | string[];
  /** Absent only in trust policies. */
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** Where ARNs are built: partition from the caller identity (aws, aws-cn, aws-us-gov). */
export interface AwsScope {
  partition: string;
  region: string;
  accountId: string;
}

const policyDocument = (...statements: PolicyStatement[]): PolicyDocument => ({
  Version: "2012-10-17",
  Statement: statements,
});

export function partitionOf(arn: string): string {
  const partition = arn.split(":")[1];
  if (!partition) throw new Error(`not an ARN: ${arn}`);
  return partition;
}

export function ecsServiceArn(scope: AwsScope, clusterName: string, serviceName: string): string {
  return `arn:${scope.partition}:ecs:${scope.region}:${scope.accountId}:service/${clusterName}/${serviceName}`;
}

/** Trust policy for task and execution roles, pinned to this account's ECS (confused-deputy guard). */
export function ecsTasksAssumeRolePolicy(scope: AwsScope): PolicyDocument {
  return policyDocument({
    Effect: "Allow",
    Principal: { Service: "ecs-tasks.amazonaws.com" },
    Action: "sts:AssumeRole",
    Condition: {
      StringEquals: { "aws:SourceAccount": scope.accountId },
      ArnLike: { "aws:SourceArn": `arn:${scope.partition}:ecs:${scope.region}:${scope.accountId}:*` },
    },
  });
}

export interface ControlPlanePolicyArgs {
  metricNamespace: string;
  clusterName: string;
  /** The services the control plane may describe (the worker service it reports on, and its own). */
  serviceNames: string[];
}

export function controlPlaneTaskPolicy(scope: AwsScope, args: ControlPlanePolicyArgs): PolicyDocument {
  return policyDocument(
    {
      Sid: "PublishQueueMetrics",
      Effect: "Allow",
      Action: ["cloudwatch:PutMetricData"],
      // PutMetricData has no resource type; the namespace condition key is what scopes it.
      Resource: "*",
      Condition: { StringEquals: { "cloudwatch:namespace": args.metricNamespace } },
    },
    {
      Sid: "DescribeOwnServices",
      Effect: "Allow",
      Action: ["ecs:DescribeServices"],
      Resource: args.serviceNames.map((s) => ecsServiceArn(scope, args.clusterName, s)),
    },
  );
}

export function workerTaskPolicy(scope: AwsScope, clusterName: string): PolicyDocument {
  return policyDocument({
    Sid: "TaskScaleInProtection",
    Effect: "Allow",
    Action: ["ecs:UpdateTaskProtection", "ecs:GetTaskProtection"],
    // Only tasks of this stack's cluster (task ARNs embed the cluster name).
    Resource: `arn:${scope.partition}:ecs:${scope.region}:${scope.accountId}:task/${clusterName}/*`,
  });
}

export interface ExecutionPolicyArgs {
  repositoryArn: string;
  logGroupArn: string;
  /** SSM parameter ARNs referenced by the task definition's `secrets`. */
  secretArns: string[];
}

export function executionRolePolicy(args: ExecutionPolicyArgs): PolicyDocument {
  const statements: PolicyStatement[] = [
    // GetAuthorizationToken cannot be scoped to a repository.
    { Sid: "EcrLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
    {
      Sid: "PullImage",
      Effect: "Allow",
      Action: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
      Resource: args.repositoryArn,
    },
    {
      Sid: "WriteLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: `${args.logGroupArn}:log-stream:*`,
    },
  ];
  if (args.secretArns.length > 0) {
    statements.push({
      Sid: "ReadSecrets",
      Effect: "Allow",
      Action: ["ssm:GetParameters"],
      Resource: args.secretArns,
    });
  }
  return policyDocument(...statements);
}
