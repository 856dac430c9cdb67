import { spawnSync } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { scratchDirs } from "../../shared/test/scratch-dirs.js";
import type { ContainerDefinition } from "./ecs-task.js";
import type { PolicyDocument } from "./iam.js";
import {
  ACCOUNT_ID,
  installPulumiMocks,
  PRIVATE_SUBNET_IDS,
  PUBLIC_SUBNET_IDS,
  REGION,
  settle,
  value,
} from "./pulumi-mocks.js";

const scratch = scratchDirs();

const mocks = installPulumiMocks();
const { ControlPlaneService } = await import("./control-plane-service.js");
const { WorkerService } = await import("./worker-service.js");
const { METRIC_NAMESPACE } = await import("@rqueue/shared");
const { WAIT_MAX_MS } = await import("../../control-plane/src/routes/jobs/wait-job.js");

const scope = { partition: "aws", region: REGION, accountId: ACCOUNT_ID };
const CLUSTER = "rqueue-test";
const REDIS_URL = "redis-cluster://10.0.1.10:6379,10.0.2.10:6379,10.0.3.10:6379";
const REDIS_PASSWORD_ARN = `arn:aws:ssm:${REGION}:${ACCOUNT_ID}:parameter/rqueue-test/redis-password`;
const API_KEYS_ARN = `arn:aws:ssm:${REGION}:${ACCOUNT_ID}:parameter/rqueue-test/api-keys`;

const common = {
  namePrefix: "rqueue-test",
  region: REGION,
  architecture: "x86_64" as const,
  scope,
  privateSubnetIds: PRIVATE_SUBNET_IDS,
  clusterName: CLUSTER,
  clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:cluster/${CLUSTER}`,
  capacityProviderName: "rqueue-test-ec2",
  redisUrl: REDIS_URL,
  logRetentionDays: 14,
};

const TASK_DEF = "aws:ecs/taskDefinition:TaskDefinition";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";

const containersOf = (name: string) =>
  JSON.parse(mocks.named(TASK_DEF, name).inputs.containerDefinitions as string) as ContainerDefinition[];
const policyOf = (name: string) =>
  JSON.parse(mocks.named(ROLE_POLICY, name).inputs.policy as string) as PolicyDocument;
const envOf = (c: ContainerDefinition) => Object.fromEntries(c.environment.map((e) => [e.name, e.value]));

describe("ECS services", () => {
  let controlPlane: InstanceType<typeof ControlPlaneService>;
  let httpsControlPlane: InstanceType<typeof ControlPlaneService>;
  let internalControlPlane: InstanceType<typeof ControlPlaneService>;
  let worker: InstanceType<typeof WorkerService>;

  beforeAll(async () => {
    worker = new WorkerService("worker", {
      ...common,
      taskSecurityGroupId: "sg-worker-tasks",
      serviceName: "rqueue-test-worker",
      image: {
        uri: "repo/worker@sha256:1",
        repositoryArn: "arn:aws:ecr:eu-west-1:123456789012:repository/w",
      },
      redisPasswordArn: REDIS_PASSWORD_ARN,
      desiredCount: 1,
      cpu: 512,
      memory: 1024,
      queues: [{ name: "default", weight: 1 }],
      concurrency: 8,
      drainTimeoutMs: 25_000,
      stopTimeoutSeconds: 60,
      settleReplicas: 1,
    });
    const cpArgs = {
      ...common,
      vpcId: "vpc-0mock",
      publicSubnetIds: PUBLIC_SUBNET_IDS,
      taskSecurityGroupId: "sg-control-plane-tasks",
      serviceName: "rqueue-test-control-plane",
      workerServiceName: "rqueue-test-worker",
      workerFleet: {
        queues: [
          { name: "default", weight: 1 },
          { name: "emails", weight: 3 },
        ],
        concurrency: 8,
        minCount: 1,
        maxCount: 10,
        targetDrainSeconds: 30,
        fallbackJobSeconds: 1,
      },
      submitReplicas: 1,
      metricNamespace: METRIC_NAMESPACE,
      image: { uri: "repo/cp@sha256:2", repositoryArn: "arn:aws:ecr:eu-west-1:123456789012:repository/cp" },
      secrets: { redisPasswordArn: REDIS_PASSWORD_ARN, apiKeysArn: API_KEYS_ARN },
      desiredCount: 2,
      cpu: 512,
      memory: 1024,
      access: { internal: false, allowedCidrs: ["198.51.100.0/24"] },
    };
    controlPlane = new ControlPlaneService("control-plane", cpArgs);
    internalControlPlane = new ControlPlaneService("cp-internal", {
      ...cpArgs,
      serviceName: "rqueue-test-cp-internal",
      access: { internal: true, allowedCidrs: [] },
    });
    httpsControlPlane = new ControlPlaneService("cp-https", {
      ...cpArgs,
      serviceName: "rqueue-test-cp-https",
      certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/abc",
      domainName: "api.example.com",
      access: { internal: false, allowedCidrs: ["0.0.0.0/0"] },
    });
    await Promise.all([
      value(controlPlane.service.id),
      value(httpsControlPlane.service.id),
      value(internalControlPlane.service.id),
      value(worker.service.id),
    ]);
    await settle();
  });

  describe("secrets", () => {
    it("reach the control plane as ECS secrets from SSM, never as environment values", () => {
      const [container] = containersOf("control-plane-task");
      expect(container?.secrets).toEqual([
        { name: "REDIS_PASSWORD", valueFrom: REDIS_PASSWORD_ARN },
        { name: "RQ_API_KEYS", valueFrom: API_KEYS_ARN },
      ]);
      const names = container?.environment.map((e) => e.name) ?? [];
      expect(names).not.toContain("REDIS_PASSWORD");
      expect(names).not.toContain("RQ_API_KEYS");
    });

    it("reach the worker the same way", () => {
      const [container] = containersOf("worker-task");
      expect(container?.secrets).toEqual([{ name: "REDIS_PASSWORD", valueFrom: REDIS_PASSWORD_ARN }]);
      expect(container?.environment.map((e) => e.name)).not.toContain("REDIS_PASSWORD");
    });

    it("are readable by each execution role, and only the ones its task uses", () => {
      const cp = policyOf("control-plane-execution-policy").Statement.find((s) => s.Sid === "ReadSecrets");
      expect(cp?.Action).toEqual(["ssm:GetParameters"]);
      expect(cp?.Resource).toEqual([REDIS_PASSWORD_ARN, API_KEYS_ARN]);
      const w = policyOf("worker-execution-policy").Statement.find((s) => s.Sid === "ReadSecrets");
      expect(w?.Resource).toEqual([REDIS_PASSWORD_ARN]);
    });
  });

  describe("control plane", () => {
    it("gets the environment the app reads", () => {
      const [container] = containersOf("control-plane-task");
      expect(container && envOf(container)).toEqual({
        PORT: "8080",
        REDIS_URL,
        RQ_CLOUDWATCH: "1",
        AWS_REGION: REGION,
        RQ_ECS_CLUSTER: CLUSTER,
        RQ_ECS_SERVICE: "rqueue-test-worker",
        RQ_QUEUES: "default,emails:3",
        RQ_WORKER_CONCURRENCY: "8",
        RQ_AUTOSCALE_MIN: "1",
        RQ_AUTOSCALE_MAX: "10",
        RQ_AUTOSCALE_TARGET_DRAIN_SECONDS: "30",
        RQ_AUTOSCALE_FALLBACK_JOB_MS: "1000",
        RQ_SUBMIT_REPLICAS: "1",
        NODE_ENV: "production",
      });
      expect(container?.portMappings).toEqual([{ containerPort: 8080, hostPort: 8080, protocol: "tcp" }]);
      expect(container?.logConfiguration.options["awslogs-group"]).toBe("/rqueue-test/control-plane");
    });

    it("may publish metrics only in the R-queue namespace", () => {
      const statement = policyOf("control-plane-task-policy").Statement.find((s) =>
        ([] as string[]).concat(s.Action).includes("cloudwatch:PutMetricData"),
      );
      expect(statement?.Action).toEqual(["cloudwatch:PutMetricData"]);
      expect(statement?.Condition).toEqual({ StringEquals: { "cloudwatch:namespace": "RQueue" } });
      expect(METRIC_NAMESPACE).toBe("RQueue");
    });

    it("may describe only this stack's services, and do nothing else", () => {
      const policy = policyOf("control-plane-task-policy");
      expect(policy.Statement.flatMap((s) => s.Action)).toEqual([
        "cloudwatch:PutMetricData",
        "ecs:DescribeServices",
      ]);
      const describeStatement = policy.Statement.find((s) => s.Sid === "DescribeOwnServices");
      expect(describeStatement?.Resource).toEqual([
        `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:service/${CLUSTER}/rqueue-test-worker`,
        `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:service/${CLUSTER}/rqueue-test-control-plane`,
      ]);
    });

    it("runs 2 tasks in private subnets behind an ALB that checks liveness, not Redis", () => {
      const service = mocks.named("aws:ecs/service:Service", "control-plane-service").inputs;
      expect(service.desiredCount).toBe(2);
      expect(service.networkConfiguration).toEqual({
        subnets: PRIVATE_SUBNET_IDS,
        securityGroups: ["sg-control-plane-tasks"],
        assignPublicIp: false,
      });
      expect(service.loadBalancers).toEqual([
        expect.objectContaining({ containerName: "control-plane", containerPort: 8080 }),
      ]);
      const tg = mocks.named("aws:lb/targetGroup:TargetGroup", "control-plane-tg").inputs;
      expect(tg.targetType).toBe("ip");
      // /readyz fails while Redis is down; ECS would replace every task in a loop.
      expect((tg.healthCheck as { path: string }).path).toBe("/healthz");
      const alb = mocks.named("aws:lb/loadBalancer:LoadBalancer", "control-plane-alb").inputs;
      expect(alb.subnets).toEqual(PUBLIC_SUBNET_IDS);
      expect(alb.internal).toBe(false);
    });

    it("keeps connections open longer than the longest /wait", () => {
      const alb = mocks.named("aws:lb/loadBalancer:LoadBalancer", "control-plane-alb").inputs;
      expect((alb.idleTimeout as number) * 1000).toBeGreaterThan(WAIT_MAX_MS);
    });

    it("admits plain HTTP only from the ranges given, or from inside the VPC when internal", () => {
      const ingress = (prefix: string) =>
        mocks
          .ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
          .filter((r) => r.name.startsWith(`${prefix}-alb-in-`))
          .map((r) => [r.inputs.fromPort, r.inputs.cidrIpv4]);
      expect(ingress("control-plane")).toEqual([[80, "198.51.100.0/24"]]);
      const internal = mocks.named("aws:lb/loadBalancer:LoadBalancer", "cp-internal-alb").inputs;
      expect(internal).toMatchObject({ internal: true, subnets: PRIVATE_SUBNET_IDS });
      expect(ingress("cp-internal").map(([, cidr]) => cidr)).not.toContain("0.0.0.0/0");
    });

    it("accepts traffic on the task port only from its load balancer", async () => {
      const albSg = await value(controlPlane.loadBalancer.securityGroups.apply((s) => s?.[0] ?? ""));
      const rule = mocks.named(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "control-plane-tasks-from-alb",
      );
      expect(rule.inputs).toMatchObject({
        securityGroupId: "sg-control-plane-tasks",
        referencedSecurityGroupId: albSg,
        fromPort: 8080,
        toPort: 8080,
      });
    });

    it("serves plain HTTP without a certificate (to the allowed ranges only)", async () => {
      const listeners = mocks
        .ofType("aws:lb/listener:Listener")
        .filter((l) => l.name.startsWith("control-plane-"));
      expect(listeners.map((l) => [l.inputs.port, l.inputs.protocol])).toEqual([[80, "HTTP"]]);
      expect(await value(controlPlane.apiUrl)).toMatch(/^http:\/\/control-plane-alb-1\./);
    });

    it("serves HTTPS and redirects HTTP when a certificate is configured", async () => {
      const listeners = mocks
        .ofType("aws:lb/listener:Listener")
        .filter((l) => l.name.startsWith("cp-https-"));
      const https = listeners.find((l) => l.inputs.port === 443);
      expect(https?.inputs).toMatchObject({
        protocol: "HTTPS",
        certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/abc",
      });
      const http = listeners.find((l) => l.inputs.port === 80);
      const actions = (http?.inputs.defaultActions ?? []) as { type: string }[];
      expect(actions[0]?.type).toBe("redirect");
      expect(await value(httpsControlPlane.apiUrl)).toBe("https://api.example.com");
    });
  });

  describe("workers", () => {
    it("get the environment the worker reads", () => {
      const [container] = containersOf("worker-task");
      expect(container && envOf(container)).toEqual({
        REDIS_URL,
        RQ_QUEUES: "default",
        RQ_CONCURRENCY: "8",
        RQ_DRAIN_TIMEOUT_MS: "25000",
        RQ_SETTLE_REPLICAS: "1",
        AWS_REGION: REGION,
        NODE_ENV: "production",
      });
      expect(container?.portMappings).toBeUndefined();
    });

    it("are given longer to stop than they take to drain", () => {
      const [container] = containersOf("worker-task");
      expect(container?.stopTimeout).toBe(60);
      expect((container?.stopTimeout ?? 0) * 1000).toBeGreaterThan(25_000);
      expect(container?.stopTimeout).toBeLessThanOrEqual(120);
    });

    it("are health-checked by ECS with the worker's own probe", () => {
      const [container] = containersOf("worker-task");
      expect(container?.healthCheck?.command).toEqual([
        "CMD",
        "node",
        "worker-image/dist/main.js",
        "--healthcheck",
      ]);
    });

    it("may only manage their own task protection", () => {
      expect(policyOf("worker-task-policy")).toEqual({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "TaskScaleInProtection",
            Effect: "Allow",
            Action: ["ecs:UpdateTaskProtection", "ecs:GetTaskProtection"],
            Resource: `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:task/${CLUSTER}/*`,
          },
        ],
      });
    });

    it("start at the minimum count and leave the count to autoscaling", () => {
      const service = mocks.named("aws:ecs/service:Service", "worker-service").inputs;
      expect(service.desiredCount).toBe(1);
      expect(service.loadBalancers).toBeUndefined();
      expect((service.networkConfiguration as { assignPublicIp: boolean }).assignPublicIp).toBe(false);
    });
  });

  describe("execution roles", () => {
    it("pull only their own image and write only their own log group", () => {
      const policy = policyOf("worker-execution-policy");
      const pull = policy.Statement.find((s) => s.Sid === "PullImage");
      expect(pull?.Resource).toBe("arn:aws:ecr:eu-west-1:123456789012:repository/w");
      const logs = policy.Statement.find((s) => s.Sid === "WriteLogs");
      expect(logs?.Resource).toBe(
        `arn:aws:logs:${REGION}:${ACCOUNT_ID}:log-group:/rqueue-test/worker:log-stream:*`,
      );
    });

    it("are trusted by ECS tasks of this account only", () => {
      const role = mocks.named("aws:iam/role:Role", "worker-task-role");
      const trust = JSON.parse(role.inputs.assumeRolePolicy as string) as PolicyDocument;
      expect(trust.Statement[0]?.Principal).toEqual({ Service: "ecs-tasks.amazonaws.com" });
      expect(trust.Statement[0]?.Condition?.StringEquals).toEqual({ "aws:SourceAccount": ACCOUNT_ID });
    });
  });

  describe("readiness gate", () => {
    it("starts each app only after a gate container saw the Redis Cluster formed", () => {
      for (const task of ["control-plane-task", "worker-task"]) {
        const [app, gate] = containersOf(task);
        expect(app?.dependsOn).toEqual([{ containerName: "redis-ready", condition: "SUCCESS" }]);
        expect(gate).toMatchObject({
          name: "redis-ready",
          essential: false,
          environment: [{ name: "REDIS_URL", value: REDIS_URL }],
          secrets: [{ name: "REDISCLI_AUTH", valueFrom: REDIS_PASSWORD_ARN }],
        });
      }
    });

    it("polls the nodes of the URL until one reports cluster_state:ok (run with a stand-in redis-cli)", () => {
      const [, gate] = containersOf("worker-task");
      const dir = scratch("rq-gate-");
      const counter = join(dir, "calls");
      // Answers "fail" twice, then "ok", for 10.0.2.10 only; logs every host asked.
      writeFileSync(
        join(dir, "redis-cli"),
        `#!/bin/sh\necho "$2" >> ${counter}\nn=$(wc -l < ${counter})\n[ "$2" = 10.0.2.10 ] && [ "$n" -gt 6 ] && echo cluster_state:ok || echo cluster_state:fail\n`,
      );
      chmodSync(join(dir, "redis-cli"), 0o755);
      writeFileSync(join(dir, "sleep"), "#!/bin/sh\nexit 0\n");
      chmodSync(join(dir, "sleep"), 0o755);
      const script = (gate?.command ?? [])[2] as string;
      const run = spawnSync("sh", ["-c", script], {
        env: { PATH: `${dir}:${process.env.PATH}`, REDIS_URL },
        encoding: "utf8",
        timeout: 10_000,
      });
      expect(run.status).toBe(0);
      expect(run.stdout).toContain("Redis Cluster ready (10.0.2.10:6379)");
      expect(new Set(readFileSync(counter, "utf8").trim().split("\n"))).toEqual(
        new Set(["10.0.1.10", "10.0.2.10", "10.0.3.10"]),
      );
    });
  });

  it("keeps every log group's retention bounded", () => {
    for (const group of mocks.ofType("aws:cloudwatch/logGroup:LogGroup")) {
      expect(group.inputs.retentionInDays).toBe(14);
    }
  });
});
