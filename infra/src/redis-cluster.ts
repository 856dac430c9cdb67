/**
 * Redis Cluster on private EC2: one ENI + one instance per node, spread over the private subnets,
 * with no public address, encrypted volumes, and a security group that admits only the task
 * security groups it is given (plus the nodes themselves, for replication and the cluster bus).
 *
 * Each node's IP belongs to a pre-created network interface rather than to the instance, so a
 * replaced instance comes back on the same address: every node's user-data can list all peers
 * from the start, and the clients' REDIS_URL never changes. Likewise its data (AOF and nodes.conf)
 * lives on its own EBS volume, attached to whichever instance is the node now and snapshotted on
 * a schedule by Data Lifecycle Manager, so a replacement keeps the node's data and identity.
 *
 * The AMI is a config value (rqueue:redisAmi) and plain `pulumi up` never replaces a node for a new
 * AMI or bootstrap: all nodes at once would take the cluster down. `make roll-redis NODE=i` (with
 * RQ_ROLL_REDIS_NODE=i) lifts that for node i alone and replaces it; see infra/README.md.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Architecture } from "./config.js";
import { packUserData, REDIS_BUS_PORT, REDIS_PORT, renderRedisUserData } from "./redis-user-data.js";

export interface RedisClusterArgs {
  namePrefix: string;
  region: string;
  architecture: Architecture;
  vpcId: pulumi.Input<string>;
  /** Private subnets, one per AZ; node i goes to subnet i mod azCount. */
  privateSubnetIds: pulumi.Input<string[]>;
  azCount: number;
  /** Security groups allowed to reach port 6379, by a short label used in rule names. */
  clientSecurityGroupIds: Record<string, pulumi.Input<string>>;
  nodeCount: number;
  replicasPerMaster: number;
  instanceType: string;
  /** The node's data volume (AOF, nodes.conf); the root volume only holds the OS. */
  volumeSizeGb: number;
  /** The Amazon Linux 2023 AMI every node boots (explicit, so a replacement never drifts). */
  ami: string;
  /** The node `pulumi up` may replace for a changed AMI or bootstrap (the rolling node), if any. */
  rollingNode?: number | undefined;
  image: string;
  maxmemoryPercent: number;
  minReplicasToWrite: number;
  minReplicasMaxLagSeconds: number;
  /** Data Lifecycle Manager: a snapshot of every data volume each this many hours, this many kept. */
  snapshotIntervalHours: number;
  snapshotRetainCount: number;
  /** The SSM SecureString holding the password; nodes read it at boot. */
  passwordParameter: { name: pulumi.Input<string>; arn: pulumi.Input<string> };
  tags?: Record<string, string>;
}

/** AWS's public SSM parameter with the latest Amazon Linux 2023 AMI: where `make deploy` pins rqueue:redisAmi from. */
export function redisAmiParameter(architecture: Architecture): string {
  return `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${architecture}`;
}

/** The device name the data volume is attached as; Nitro instances show it as NVMe by volume ID. */
export const DATA_VOLUME_DEVICE = "/dev/sdf";
/** Tag DLM selects the data volumes by. */
export const SNAPSHOT_TAG = "rqueue:redis-data";

/**
 * Properties `pulumi up` leaves alone on a node (user-data changes stop/start the instance; a new
 * AMI replaces it), except on the one node being rolled.
 */
export function nodeIgnoreChanges(node: number, rollingNode: number | undefined): string[] {
  return node === rollingNode ? [] : ["ami", "userDataBase64"];
}

export class RedisCluster extends pulumi.ComponentResource {
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly networkInterfaces: aws.ec2.NetworkInterface[];
  readonly dataVolumes: aws.ebs.Volume[];
  readonly instances: aws.ec2.Instance[];
  /** Private IPs of the nodes, in node order. */
  readonly nodeIps: pulumi.Output<string[]>;
  /** `ip:port` of every node. */
  readonly endpoints: pulumi.Output<string[]>;
  /** What the apps read from REDIS_URL: `redis-cluster://ip1:6379,ip2:6379,...` (no credentials). */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: RedisClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rqueue:infra:RedisCluster", name, {}, opts);
    const tags = args.tags ?? {};

    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: args.vpcId,
        description: "R-queue Redis Cluster nodes",
        tags: { ...tags, Name: `${args.namePrefix}-redis` },
      },
      { parent: this },
    );
    const sgId = this.securityGroup.id;
    for (const [label, clientSg] of Object.entries(args.clientSecurityGroupIds)) {
      // Clients only ever speak the Redis protocol; the bus port is for nodes alone.
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-from-${label}`,
        {
          securityGroupId: sgId,
          referencedSecurityGroupId: clientSg,
          ipProtocol: "tcp",
          fromPort: REDIS_PORT,
          toPort: REDIS_PORT,
          description: `Redis from ${label} tasks`,
        },
        { parent: this },
      );
    }
    for (const [label, port] of [
      ["redis", REDIS_PORT],
      ["bus", REDIS_BUS_PORT],
    ] as const) {
      // Node to node: replication and redis-cli --cluster use 6379, gossip and failover use the bus.
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-self-${label}`,
        {
          securityGroupId: sgId,
          referencedSecurityGroupId: sgId,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          description: `Cluster ${label} port between nodes`,
        },
        { parent: this },
      );
    }
    // Outbound for the NAT path: dnf, the ECR Public image pull and the SSM API.
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-egress`,
      { securityGroupId: sgId, ipProtocol: "-1", cidrIpv4: "0.0.0.0/0", description: "All outbound" },
      { parent: this },
    );

    const role = new aws.iam.Role(
      `${name}-node-role`,
      { assumeRolePolicy: aws.iam.assumeRolePolicyForPrincipal({ Service: "ec2.amazonaws.com" }), tags },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-read-password`,
      {
        role: role.name,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Action: ["ssm:GetParameter"], Resource: args.passwordParameter.arn },
          ],
        }),
      },
      { parent: this },
    );
    // Session Manager is the only way onto a node: no SSH keys, no bastion, no inbound port 22.
    new aws.iam.RolePolicyAttachment(
      `${name}-ssm-core`,
      { role: role.name, policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" },
      { parent: this },
    );
    const profile = new aws.iam.InstanceProfile(
      `${name}-node-profile`,
      { role: role.name, tags },
      { parent: this },
    );

    const subnetIds = pulumi.output(args.privateSubnetIds);
    this.networkInterfaces = [];
    this.dataVolumes = [];
    for (let i = 0; i < args.nodeCount; i++) {
      const subnetId = subnetIds.apply((ids) => {
        const id = ids[i % args.azCount];
        if (id === undefined) throw new Error(`Redis node ${i}: expected ${args.azCount} private subnets`);
        return id;
      });
      this.dataVolumes.push(
        new aws.ebs.Volume(
          `${name}-node-${i}-data`,
          {
            availabilityZone: aws.ec2.getSubnetOutput({ id: subnetId }, { parent: this }).availabilityZone,
            size: args.volumeSizeGb,
            type: "gp3",
            encrypted: true,
            tags: {
              ...tags,
              Name: `${args.namePrefix}-redis-${i}-data`,
              "rqueue:redis-node": String(i),
              [SNAPSHOT_TAG]: args.namePrefix,
            },
          },
          { parent: this },
        ),
      );
      this.networkInterfaces.push(
        new aws.ec2.NetworkInterface(
          `${name}-node-${i}-eni`,
          {
            subnetId,
            securityGroups: [sgId],
            description: `${args.namePrefix} Redis node ${i}`,
            tags: { ...tags, Name: `${args.namePrefix}-redis-${i}` },
          },
          { parent: this },
        ),
      );
    }
    this.nodeIps = pulumi.all(this.networkInterfaces.map((eni) => eni.privateIp));
    this.endpoints = this.nodeIps.apply((ips) => ips.map((ip) => `${ip}:${REDIS_PORT}`));
    this.url = this.endpoints.apply((eps) => `redis-cluster://${eps.join(",")}`);

    this.instances = this.networkInterfaces.map(
      (eni, i) =>
        new aws.ec2.Instance(
          `${name}-node-${i}`,
          {
            ami: args.ami,
            instanceType: args.instanceType,
            iamInstanceProfile: profile.name,
            // The ENI lives in a private subnet and was not created at launch, so EC2 never gives
            // it a public IP; the node is reachable only inside the VPC.
            primaryNetworkInterface: { networkInterfaceId: eni.id },
            userDataBase64: pulumi
              .all([this.nodeIps, args.passwordParameter.name, (this.dataVolumes[i] as aws.ebs.Volume).id])
              .apply(([ips, parameterName, dataVolumeId]) =>
                packUserData(
                  renderRedisUserData({
                    nodeIndex: i,
                    nodeIps: ips,
                    replicasPerMaster: args.replicasPerMaster,
                    azCount: args.azCount,
                    passwordParameterName: parameterName,
                    region: args.region,
                    image: args.image,
                    maxmemoryPercent: args.maxmemoryPercent,
                    minReplicasToWrite: args.minReplicasToWrite,
                    minReplicasMaxLagSeconds: args.minReplicasMaxLagSeconds,
                    dataVolumeId,
                  }),
                ),
              ),
            // The OS only: the node's data is on its own volume, which outlives the instance.
            rootBlockDevice: {
              encrypted: true,
              volumeType: "gp3",
              volumeSize: 20,
              deleteOnTermination: true,
            },
            // IMDSv2 only, one hop: nothing but the host itself can fetch the role's credentials.
            metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
            tags: {
              ...tags,
              Name: `${args.namePrefix}-redis-${i}`,
              "rqueue:redis-node": String(i),
            },
            volumeTags: { ...tags, Name: `${args.namePrefix}-redis-${i}` },
          },
          {
            parent: this,
            // The ENI and the volume attach to one instance at a time: the old one must go first.
            deleteBeforeReplace: true,
            // A new AMI or bootstrap must not restart every node at once; `make roll-redis NODE=i`
            // lifts this for one node, whose bootstrap then rejoins it and restores the layout.
            ignoreChanges: nodeIgnoreChanges(i, args.rollingNode),
          },
        ),
    );
    this.instances.forEach((instance, i) => {
      new aws.ec2.VolumeAttachment(
        `${name}-node-${i}-data`,
        {
          instanceId: instance.id,
          volumeId: (this.dataVolumes[i] as aws.ebs.Volume).id,
          deviceName: DATA_VOLUME_DEVICE,
          // Redis flushes its AOF on SIGTERM: stop the instance before the volume is pulled away.
          stopInstanceBeforeDetaching: true,
        },
        { parent: this, deleteBeforeReplace: true },
      );
    });
    this.createSnapshotPolicy(name, args, tags);

    this.registerOutputs({
      securityGroupId: sgId,
      dataVolumeIds: this.dataVolumes.map((v) => v.id),
      nodeIps: this.nodeIps,
      endpoints: this.endpoints,
      url: this.url,
    });
  }

  /** Scheduled, incremental snapshots of every data volume (Data Lifecycle Manager). */
  private createSnapshotPolicy(name: string, args: RedisClusterArgs, tags: Record<string, string>): void {
    const role = new aws.iam.Role(
      `${name}-dlm-role`,
      { assumeRolePolicy: aws.iam.assumeRolePolicyForPrincipal({ Service: "dlm.amazonaws.com" }), tags },
      { parent: this },
    );
    new aws.iam.RolePolicyAttachment(
      `${name}-dlm-policy`,
      {
        role: role.name,
        policyArn: "arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole",
      },
      { parent: this },
    );
    new aws.dlm.LifecyclePolicy(
      `${name}-snapshots`,
      {
        description: `${args.namePrefix} Redis data volumes`,
        executionRoleArn: role.arn,
        state: "ENABLED",
        policyDetails: {
          resourceTypes: ["VOLUME"],
          targetTags: { [SNAPSHOT_TAG]: args.namePrefix },
          schedules: [
            {
              name: `every ${args.snapshotIntervalHours} h, ${args.snapshotRetainCount} kept`,
              createRule: { interval: args.snapshotIntervalHours, intervalUnit: "HOURS", times: "00:00" },
              retainRule: { count: args.snapshotRetainCount },
              copyTags: true,
            },
          ],
        },
        tags,
      },
      { parent: this },
    );
  }
}
