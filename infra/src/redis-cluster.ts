/**
 * Redis Cluster on private EC2: one ENI + one instance per node, spread over the private subnets,
 * with no public address, encrypted volumes, and a security group that admits only the task
 * security groups it is given (plus the nodes themselves, for replication and the cluster bus).
 *
 * Each node's IP belongs to a pre-created network interface rather than to the instance, so a
 * replaced instance comes back on the same address: every node's user-data can list all peers
 * from the start, nodes.conf stays valid, and the clients' REDIS_URL never changes.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Architecture } from "./config.js";
import { REDIS_BUS_PORT, REDIS_PORT, renderRedisUserData } from "./redis-user-data.js";

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
  volumeSizeGb: number;
  image: string;
  maxmemoryPercent: number;
  /** The SSM SecureString holding the password; nodes read it at boot. */
  passwordParameter: { name: pulumi.Input<string>; arn: pulumi.Input<string> };
  tags?: Record<string, string>;
}

/** Amazon Linux 2023, resolved through AWS's public SSM parameter so no AMI ID is hard-coded. */
export function redisAmiParameter(architecture: Architecture): string {
  return `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${architecture}`;
}

export class RedisCluster extends pulumi.ComponentResource {
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly networkInterfaces: aws.ec2.NetworkInterface[];
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
    for (let i = 0; i < args.nodeCount; i++) {
      const subnetId = subnetIds.apply((ids) => {
        const id = ids[i % args.azCount];
        if (id === undefined) throw new Error(`Redis node ${i}: expected ${args.azCount} private subnets`);
        return id;
      });
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

    const ami = aws.ssm.getParameterOutput(
      { name: redisAmiParameter(args.architecture) },
      { parent: this },
    ).value;

    this.instances = this.networkInterfaces.map(
      (eni, i) =>
        new aws.ec2.Instance(
          `${name}-node-${i}`,
          {
            ami,
            instanceType: args.instanceType,
            iamInstanceProfile: profile.name,
            // The ENI lives in a private subnet and was not created at launch, so EC2 never gives
            // it a public IP; the node is reachable only inside the VPC.
            primaryNetworkInterface: { networkInterfaceId: eni.id },
            userData: pulumi.all([this.nodeIps, args.passwordParameter.name]).apply(([ips, parameterName]) =>
              renderRedisUserData({
                nodeIndex: i,
                nodeIps: ips,
                replicasPerMaster: args.replicasPerMaster,
                azCount: args.azCount,
                passwordParameterName: parameterName,
                region: args.region,
                image: args.image,
                maxmemoryPercent: args.maxmemoryPercent,
              }),
            ),
            rootBlockDevice: {
              encrypted: true,
              volumeType: "gp3",
              volumeSize: args.volumeSizeGb,
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
            // The ENI can be attached to one instance at a time: the old one must go first.
            deleteBeforeReplace: true,
            // A new AMI release or bootstrap change must not restart every node at once (user-data
            // changes stop/start the instance). Roll them deliberately, one node at a time, with
            // `pulumi up --replace <urn>`; the bootstrap makes the new node rejoin as a replica.
            ignoreChanges: ["ami", "userData"],
          },
        ),
    );

    this.registerOutputs({
      securityGroupId: sgId,
      nodeIps: this.nodeIps,
      endpoints: this.endpoints,
      url: this.url,
    });
  }
}
