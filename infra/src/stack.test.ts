import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { METRIC_NAMES, METRIC_NAMESPACE, SCALING_METRIC_NAMES } from "@rqueue/shared";
import { beforeAll, describe, expect, it } from "vitest";
import type { ContainerDefinition } from "./ecs-task.js";
import { installPulumiMocks, MOCK_AMI, PRIVATE_SUBNET_IDS, settle, value } from "./pulumi-mocks.js";

const mocks = installPulumiMocks();
const { createStack } = await import("./stack.js");
const { DEFAULTS } = await import("./config.js");
const { REPO_ROOT } = await import("./images.js");
type StackConfig = import("./config.js").StackConfig;

const REDIS_PASSWORD = "stack-test-redis-password-0123456789";
const API_KEYS = "stack-test-api-key-1,stack-test-api-key-2";

const config: StackConfig = {
  namePrefix: "rqueue-prod",
  region: "eu-west-1",
  architecture: "x86_64",
  network: {
    cidrBlock: "10.0.0.0/16",
    availabilityZones: 3,
    natStrategy: "OnePerAz",
    interfaceEndpoints: true,
  },
  redis: {
    ...DEFAULTS.redis,
    ami: MOCK_AMI,
    rollingNode: undefined,
    minReplicasToWrite: 1,
    password: pulumi.secret(REDIS_PASSWORD),
  },
  ecs: { ...DEFAULTS.ecs },
  controlPlane: {
    ...DEFAULTS.controlPlane,
    certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/abc",
    access: { internal: false, allowedCidrs: ["0.0.0.0/0"] },
    apiKeys: pulumi.secret(API_KEYS),
  },
  worker: {
    ...DEFAULTS.worker,
    queues: [
      { name: "default", weight: 1 },
      { name: "emails", weight: 3 },
    ],
  },
  autoscaling: { ...DEFAULTS.autoscaling },
  alarms: { ...DEFAULTS.alarms, email: "oncall@example.com" },
  logRetentionDays: 30,
};

const containerOf = (name: string) =>
  (
    JSON.parse(
      mocks.named("aws:ecs/taskDefinition:TaskDefinition", name).inputs.containerDefinitions as string,
    ) as ContainerDefinition[]
  )[0] as ContainerDefinition;
const envOf = (c: ContainerDefinition) => Object.fromEntries(c.environment.map((e) => [e.name, e.value]));

describe("createStack", () => {
  let stack: ReturnType<typeof createStack>;

  beforeAll(async () => {
    stack = createStack(config);
    await Promise.all(Object.values(stack.outputs).map((o) => value(o as pulumi.Output<unknown>)));
    await settle();
  });

  it("builds the VPC over the configured AZs with the configured NAT strategy", () => {
    const [vpc] = mocks.ofType("awsx:ec2:Vpc");
    expect(vpc?.inputs).toMatchObject({
      cidrBlock: "10.0.0.0/16",
      numberOfAvailabilityZones: 3,
      natGateways: { strategy: "OnePerAz" },
    });
    const specs = ((vpc?.inputs.subnetSpecs ?? []) as { type: string }[]).map((s) => s.type);
    expect(specs).toEqual(["Public", "Private"]);
  });

  it("keeps image pulls, logs, metrics and SSM off the NAT gateways", () => {
    const endpoints = mocks.ofType("aws:ec2/vpcEndpoint:VpcEndpoint").map((e) => e.inputs);
    const s3 = endpoints.find((e) => e.serviceName === "com.amazonaws.eu-west-1.s3");
    expect(s3).toMatchObject({
      vpcEndpointType: "Gateway",
      routeTableIds: ["rtb-private-a", "rtb-private-b", "rtb-private-c"],
    });
    const interfaces = endpoints.filter((e) => e.vpcEndpointType === "Interface");
    expect(
      interfaces.map((e) => String(e.serviceName).replace("com.amazonaws.eu-west-1.", "")).sort(),
    ).toEqual(["ec2messages", "ecr.api", "ecr.dkr", "logs", "monitoring", "ssm", "ssmmessages"]);
    for (const e of interfaces)
      expect(e).toMatchObject({ privateDnsEnabled: true, subnetIds: PRIVATE_SUBNET_IDS });
  });

  it("lets only the control-plane and worker task groups reach Redis", async () => {
    const redisSg = await value(stack.redis.securityGroup.id);
    const taskSgs = [
      await value(stack.taskSecurityGroups.controlPlane.id),
      await value(stack.taskSecurityGroups.worker.id),
    ];
    const sources = mocks
      .ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
      .filter((r) => r.inputs.securityGroupId === redisSg)
      .map((r) => r.inputs.referencedSecurityGroupId);
    expect(new Set(sources)).toEqual(new Set([...taskSgs, redisSg]));
    // And those are exactly the groups the services run their tasks in.
    const services = mocks.ofType("aws:ecs/service:Service");
    const serviceSgs = services.flatMap(
      (s) => (s.inputs.networkConfiguration as { securityGroups: string[] }).securityGroups,
    );
    expect(serviceSgs.sort()).toEqual([...taskSgs].sort());
  });

  it("points both apps at the Redis cluster through the same URL", async () => {
    const url = await value(stack.redis.url);
    expect(url).toMatch(/^redis-cluster:\/\/(\d+\.\d+\.\d+\.\d+:6379,){5}\d+\.\d+\.\d+\.\d+:6379$/);
    expect(envOf(containerOf("control-plane-task")).REDIS_URL).toBe(url);
    expect(envOf(containerOf("worker-task")).REDIS_URL).toBe(url);
  });

  it("tells the control plane which cluster and worker service to report on", () => {
    const env = envOf(containerOf("control-plane-task"));
    expect(env.RQ_ECS_CLUSTER).toBe("rqueue-prod");
    expect(env.RQ_ECS_SERVICE).toBe("rqueue-prod-worker");
    expect(env.RQ_CLOUDWATCH).toBe("1");
    expect(envOf(containerOf("worker-task")).RQ_QUEUES).toBe("default,emails:3");
    expect(env.RQ_QUEUES).toBe("default,emails:3");
  });

  it("scales the worker service (and only it) between 1 and 10 on the published decision", async () => {
    const target = mocks.named("aws:appautoscaling/target:Target", "worker-autoscaling-target").inputs;
    const workerService = await value(stack.worker.serviceName);
    expect(target).toMatchObject({
      resourceId: `service/rqueue-prod/${workerService}`,
      minCapacity: 1,
      maxCapacity: 10,
    });
    const alarm = mocks.named("aws:cloudwatch/metricAlarm:MetricAlarm", "worker-autoscaling-desired-differs");
    const watched = (
      alarm.inputs.metricQueries as { metric?: { metricName: string; dimensions: object } }[]
    ).flatMap((q) => (q.metric ? [q.metric] : []));
    expect(watched.map((m) => m.metricName)).toEqual([
      SCALING_METRIC_NAMES.desiredWorkers,
      SCALING_METRIC_NAMES.workerTasks,
    ]);
    // The dimension is the service name the control plane is told to publish for.
    for (const m of watched)
      expect(m.dimensions).toEqual({ Service: envOf(containerOf("control-plane-task")).RQ_ECS_SERVICE });
  });

  it("never puts a queue weight into a metric dimension", () => {
    for (const alarm of mocks.ofType("aws:cloudwatch/metricAlarm:MetricAlarm")) {
      expect(JSON.stringify(alarm.inputs)).not.toContain("emails:3");
    }
    const [dashboard] = mocks.ofType("aws:cloudwatch/dashboard:Dashboard");
    expect(dashboard?.inputs.dashboardBody).not.toContain("emails:3");
  });

  it("puts ECS hosts in the private subnets under a managed capacity provider", () => {
    const asg = mocks.ofType("aws:autoscaling/group:Group")[0]?.inputs;
    expect(asg?.vpcZoneIdentifiers).toEqual(PRIVATE_SUBNET_IDS);
    expect(asg?.protectFromScaleIn).toBe(true);
    expect(asg?.tags).toContainEqual({ key: "AmazonECSManaged", value: "true", propagateAtLaunch: true });
    const provider = mocks.ofType("aws:ecs/capacityProvider:CapacityProvider")[0]?.inputs;
    expect(provider?.autoScalingGroupProvider).toMatchObject({
      managedTerminationProtection: "ENABLED",
      managedScaling: { status: "ENABLED", targetCapacity: 100 },
    });
    const association = mocks.ofType("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")[0]?.inputs;
    expect(association?.capacityProviders).toEqual(["rqueue-prod-ec2"]);
    const template = mocks.ofType("aws:ec2/launchTemplate:LaunchTemplate")[0]?.inputs;
    expect(template?.imageId).toBe(MOCK_AMI);
    const userData = Buffer.from(template?.userData as string, "base64").toString();
    expect(userData).toContain("ECS_CLUSTER=rqueue-prod");
    expect(userData).toContain("ECS_AWSVPC_BLOCK_IMDS=true");
    const [volume] = (template?.blockDeviceMappings ?? []) as { ebs: { encrypted: string } }[];
    expect(volume?.ebs.encrypted).toBe("true");
  });

  it("builds both images from the repo's Dockerfiles with the repo root as context", () => {
    const images = mocks.ofType("awsx:ecr:Image").map((i) => i.inputs);
    expect(images.map((i) => i.dockerfile).sort()).toEqual([
      path.join(REPO_ROOT, "control-plane/Dockerfile"),
      path.join(REPO_ROOT, "worker-image/Dockerfile"),
    ]);
    for (const image of images) {
      expect(image.context).toBe(REPO_ROOT);
      expect(image.platform).toBe("linux/amd64");
    }
    expect(path.basename(REPO_ROOT)).not.toBe("infra");
    const [cpRepo] = mocks.ofType("aws:ecr/repository:Repository");
    expect(cpRepo?.inputs.name).toBe("rqueue-prod/control-plane");
  });

  it("stores the secrets as SecureStrings and nowhere else", () => {
    const params = mocks.ofType("aws:ssm/parameter:Parameter");
    expect(params.map((p) => [p.inputs.name, p.inputs.type])).toEqual([
      ["/rqueue-prod/redis-password", "SecureString"],
      ["/rqueue-prod/api-keys", "SecureString"],
    ]);
    // Pulumi's secret signature: the values stay encrypted in the stack's state too.
    for (const p of params)
      expect(JSON.stringify(p.inputs.value)).toContain("1b47061264138c4ac30d75fd1eb44270");
    for (const resource of mocks.resources) {
      if (resource.type === "aws:ssm/parameter:Parameter") continue;
      const text = JSON.stringify(resource.inputs);
      expect(text, `${resource.type} ${resource.name}`).not.toContain(REDIS_PASSWORD);
      expect(text, `${resource.type} ${resource.name}`).not.toContain("stack-test-api-key");
    }
  });

  it("raises the queue, API and Redis alarms and sends them to the SNS topic", async () => {
    const alarms = mocks.ofType("aws:cloudwatch/metricAlarm:MetricAlarm");
    const names = alarms.map((a) => a.inputs.name);
    for (const queue of ["default", "emails"]) {
      expect(names).toContain(`rqueue-prod-${queue}-dead-lettered-growing`);
      expect(names).toContain(`rqueue-prod-${queue}-oldest-pending-too-old`);
      expect(names).toContain(`rqueue-prod-${queue}-no-healthy-workers`);
    }
    expect(names).toContain("rqueue-prod-api-no-healthy-targets");
    expect(names.filter((n) => String(n).match(/redis-\d+-status-check$/))).toHaveLength(6);

    const byName = (n: string) => alarms.find((a) => a.inputs.name === n)?.inputs ?? {};
    expect(byName("rqueue-prod-default-oldest-pending-too-old")).toMatchObject({
      namespace: METRIC_NAMESPACE,
      metricName: METRIC_NAMES.oldestPendingAgeSeconds,
      dimensions: { Queue: "default" },
      threshold: 300,
    });
    expect(byName("rqueue-prod-default-no-healthy-workers")).toMatchObject({
      metricName: METRIC_NAMES.healthyWorkers,
      comparisonOperator: "LessThanThreshold",
      threshold: 1,
    });
    const dead = byName("rqueue-prod-default-dead-lettered-growing");
    expect(JSON.stringify(dead.metricQueries)).toContain(METRIC_NAMES.deadLettered);
    expect(JSON.stringify(dead.metricQueries)).toContain("DIFF(dead)");
    const status = byName("rqueue-prod-redis-0-status-check");
    expect(status).toMatchObject({ namespace: "AWS/EC2", metricName: "StatusCheckFailed" });
    expect(status.dimensions).toEqual({
      InstanceId: await value(stack.redis.instances[0]?.id as pulumi.Output<string>),
    });

    const topicArn = await value(stack.outputs.alarmTopicArn);
    expect(topicArn).toBeTruthy();
    expect(byName("rqueue-prod-default-no-healthy-workers").alarmActions).toEqual([topicArn]);
    const [subscription] = mocks.ofType("aws:sns/topicSubscription:TopicSubscription");
    expect(subscription?.inputs).toMatchObject({ protocol: "email", endpoint: "oncall@example.com" });
  });

  it("draws the queue metrics on the dashboard", () => {
    const [dashboard] = mocks.ofType("aws:cloudwatch/dashboard:Dashboard");
    const body = JSON.parse(dashboard?.inputs.dashboardBody as string) as {
      widgets: { properties: { metrics: unknown[][] } }[];
    };
    const drawn = body.widgets.flatMap((w) => w.properties.metrics).filter((m) => m[0] === METRIC_NAMESPACE);
    const drawnNames = new Set(drawn.map((m) => m[1]));
    for (const name of [...Object.values(METRIC_NAMES), ...Object.values(SCALING_METRIC_NAMES)]) {
      expect(drawnNames).toContain(name);
    }
  });

  it("exports the URLs, private Redis endpoints and names", async () => {
    const out = stack.outputs;
    expect(await value(out.apiUrl)).toMatch(/^https:\/\/.*elb\.amazonaws\.com$/);
    expect(await value(out.dashboardUrl)).toBe(
      "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=rqueue-prod",
    );
    const endpoints = await value(out.redisEndpoints);
    expect(endpoints).toHaveLength(6);
    for (const e of endpoints) expect(e).toMatch(/^10\.\d+\.\d+\.\d+:6379$/);
    expect(await value(out.ecsClusterName)).toBe("rqueue-prod");
    expect(await value(out.controlPlaneServiceName)).toBe("rqueue-prod-control-plane");
    expect(await value(out.workerServiceName)).toBe("rqueue-prod-worker");
    expect(await value(out.workerImage)).toContain("rqueue-prod/worker@sha256:");
  });
});
