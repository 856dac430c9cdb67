import { gunzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import {
  installPulumiMocks,
  MOCK_AMI,
  PRIVATE_SUBNET_IDS,
  PUBLIC_SUBNET_IDS,
  settle,
  value,
} from "./pulumi-mocks.js";

// Mocks first: modules that create resources must load after them.
const mocks = installPulumiMocks();
const { RedisCluster, nodeIgnoreChanges, SNAPSHOT_TAG } = await import("./redis-cluster.js");

const PASSWORD = "s3cret-redis-password-for-tests";
const PARAMETER_ARN = "arn:aws:ssm:eu-west-1:123456789012:parameter/rqueue-test/redis-password";
const CLIENT_SGS = { "control-plane": "sg-control-plane-tasks", worker: "sg-worker-tasks" };

const ENI = "aws:ec2/networkInterface:NetworkInterface";
const INSTANCE = "aws:ec2/instance:Instance";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const VOLUME = "aws:ebs/volume:Volume";
/** What cloud-init runs: the gzipped, base64-encoded user-data inflated. */
const userDataOf = (instance: { inputs: Record<string, unknown> } | undefined) =>
  gunzipSync(Buffer.from(String(instance?.inputs.userDataBase64), "base64")).toString();

describe("RedisCluster", () => {
  let cluster: InstanceType<typeof RedisCluster>;

  beforeAll(async () => {
    cluster = new RedisCluster("redis", {
      namePrefix: "rqueue-test",
      region: "eu-west-1",
      architecture: "x86_64",
      vpcId: "vpc-0mock",
      privateSubnetIds: PRIVATE_SUBNET_IDS,
      azCount: 3,
      clientSecurityGroupIds: CLIENT_SGS,
      nodeCount: 6,
      replicasPerMaster: 1,
      instanceType: "r6i.large",
      volumeSizeGb: 30,
      ami: MOCK_AMI,
      rollingNode: undefined,
      image: "public.ecr.aws/docker/library/redis:7.2",
      maxmemoryPercent: 70,
      minReplicasToWrite: 1,
      minReplicasMaxLagSeconds: 10,
      snapshotIntervalHours: 4,
      snapshotRetainCount: 42,
      passwordParameter: { name: "/rqueue-test/redis-password", arn: PARAMETER_ARN },
    });
    await value(cluster.url);
    await settle();
  });

  it("creates one instance per node, each on its own pre-created interface", () => {
    const instances = mocks.ofType(INSTANCE);
    const enis = mocks.ofType(ENI);
    expect(instances).toHaveLength(6);
    expect(enis).toHaveLength(6);
    for (const [i, instance] of instances.entries()) {
      const primary = instance.inputs.primaryNetworkInterface as { networkInterfaceId: string };
      expect(enis.map((e) => e.id)).toContain(primary.networkInterfaceId);
      expect(instance.name).toBe(`redis-node-${i}`);
      expect(instance.inputs.ami).toBe(MOCK_AMI);
    }
  });

  it("gives no node a public IP", () => {
    for (const instance of mocks.ofType(INSTANCE)) {
      // Neither requested at launch nor possible: a pre-created ENI never receives one.
      expect(instance.inputs.associatePublicIpAddress).not.toBe(true);
      expect(instance.inputs.subnetId).toBeUndefined();
      expect(instance.inputs.primaryNetworkInterface).toBeDefined();
    }
  });

  it("places every node in a private subnet, spread over the AZs", () => {
    const subnets = mocks.ofType(ENI).map((e) => e.inputs.subnetId as string);
    for (const s of subnets) {
      expect(PRIVATE_SUBNET_IDS).toContain(s);
      expect(PUBLIC_SUBNET_IDS).not.toContain(s);
    }
    expect(subnets).toEqual([...PRIVATE_SUBNET_IDS, ...PRIVATE_SUBNET_IDS]);
  });

  it("admits Redis traffic only from the task security groups and from the nodes themselves", async () => {
    const sgId = await value(cluster.securityGroup.id);
    const rules = mocks.ofType(INGRESS).filter((r) => r.inputs.securityGroupId === sgId);
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      // Never an address range: only security-group references.
      expect(rule.inputs.cidrIpv4).toBeUndefined();
      expect(rule.inputs.cidrIpv6).toBeUndefined();
      expect(rule.inputs.prefixListId).toBeUndefined();
      expect(rule.inputs.ipProtocol).toBe("tcp");
    }
    const clientRules = rules.filter((r) => r.inputs.referencedSecurityGroupId !== sgId);
    expect(clientRules.map((r) => r.inputs.referencedSecurityGroupId).sort()).toEqual(
      Object.values(CLIENT_SGS).sort(),
    );
    for (const rule of clientRules) {
      expect([rule.inputs.fromPort, rule.inputs.toPort]).toEqual([6379, 6379]);
    }
    const selfPorts = rules
      .filter((r) => r.inputs.referencedSecurityGroupId === sgId)
      .map((r) => r.inputs.fromPort as number)
      .sort((a, b) => a - b);
    expect(selfPorts).toEqual([6379, 16379]);
    // Every node's interface carries exactly this group.
    for (const eni of mocks.ofType(ENI)) expect(eni.inputs.securityGroups).toEqual([sgId]);
  });

  it("encrypts the volumes and requires IMDSv2", () => {
    for (const instance of mocks.ofType(INSTANCE)) {
      const root = instance.inputs.rootBlockDevice as { encrypted: boolean; deleteOnTermination: boolean };
      expect(root.encrypted).toBe(true);
      expect((instance.inputs.metadataOptions as { httpTokens: string }).httpTokens).toBe("required");
    }
    for (const volume of mocks.ofType(VOLUME)) {
      expect(volume.inputs).toMatchObject({ encrypted: true, type: "gp3", size: 30 });
    }
  });

  it("gives every node a data volume in its own AZ, attached to its instance, outliving it", () => {
    const volumes = mocks.ofType(VOLUME);
    const attachments = mocks.ofType("aws:ec2/volumeAttachment:VolumeAttachment");
    expect(volumes).toHaveLength(6);
    const instances = mocks.ofType(INSTANCE);
    for (const [i, volume] of volumes.entries()) {
      // Same AZ as the node's subnet (subnet i mod 3), as EBS requires.
      expect(volume.inputs.availabilityZone).toBe(`eu-west-1${"abc"[i % 3]}`);
      expect((volume.inputs.tags as Record<string, string>)[SNAPSHOT_TAG]).toBe("rqueue-test");
      const attachment = attachments.find((a) => a.inputs.volumeId === volume.id);
      expect(attachment?.inputs).toMatchObject({ instanceId: instances[i]?.id, deviceName: "/dev/sdf" });
      // The user-data waits for exactly this volume.
      expect(userDataOf(instances[i])).toContain(`Elastic_Block_Store_${volume.id.replace("-", "")}`);
    }
  });

  it("snapshots the data volumes on a schedule with Data Lifecycle Manager", () => {
    const [policy] = mocks.ofType("aws:dlm/lifecyclePolicy:LifecyclePolicy");
    expect(policy?.inputs.policyDetails).toMatchObject({
      resourceTypes: ["VOLUME"],
      targetTags: { [SNAPSHOT_TAG]: "rqueue-test" },
      schedules: [{ createRule: { interval: 4, intervalUnit: "HOURS" }, retainRule: { count: 42 } }],
    });
  });

  it("lets pulumi up replace only the node being rolled", () => {
    expect(nodeIgnoreChanges(2, undefined)).toEqual(["ami", "userDataBase64"]);
    expect(nodeIgnoreChanges(2, 3)).toEqual(["ami", "userDataBase64"]);
    expect(nodeIgnoreChanges(3, 3)).toEqual([]);
  });

  it("renders each node's user-data with its own index and all peers, without the password", async () => {
    const ips = await value(cluster.nodeIps);
    expect(ips).toHaveLength(6);
    for (const [i, instance] of mocks.ofType(INSTANCE).entries()) {
      const userData = userDataOf(instance);
      expect(userData).toContain(`NODE_INDEX=${i}`);
      expect(userData).toContain(`MY_IP="${ips[i]}"`);
      expect(userData).toContain(`NODES=(${ips.join(" ")})`);
      expect(userData).toContain("cluster-enabled yes");
      expect(userData).toContain("appendonly yes");
      expect(userData).toContain("maxmemory-policy noeviction");
      expect(userData).not.toContain(PASSWORD);
    }
  });

  it("lets the nodes read the password parameter and nothing else of SSM's data", () => {
    const policy = mocks.named("aws:iam/rolePolicy:RolePolicy", "redis-read-password");
    expect(JSON.parse(policy.inputs.policy as string)).toEqual({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["ssm:GetParameter"], Resource: PARAMETER_ARN }],
    });
  });

  it("exposes the private endpoints as a redis-cluster URL", async () => {
    const ips = await value(cluster.nodeIps);
    expect(await value(cluster.endpoints)).toEqual(ips.map((ip) => `${ip}:6379`));
    expect(await value(cluster.url)).toBe(`redis-cluster://${ips.map((ip) => `${ip}:6379`).join(",")}`);
  });
});
