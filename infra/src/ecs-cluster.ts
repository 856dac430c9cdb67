/**
 * ECS on EC2: the cluster, the container hosts (launch template + Auto Scaling group in the private
 * subnets) and the capacity provider that lets ECS grow and shrink those hosts to fit the tasks.
 *
 * Task count is decided elsewhere (the worker autoscaling policy); this component only makes sure
 * there are hosts for the tasks ECS wants to place, and that a host is never terminated while it
 * still runs tasks (managed termination protection + managed draining).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Architecture } from "./config.js";

export interface EcsClusterArgs {
  namePrefix: string;
  architecture: Architecture;
  vpcId: pulumi.Input<string>;
  privateSubnetIds: pulumi.Input<string[]>;
  instanceType: string;
  minInstances: number;
  maxInstances: number;
  volumeSizeGb: number;
  tags?: Record<string, string>;
}

/** The ECS-optimized Amazon Linux 2023 AMI, from AWS's public SSM parameter. */
export function ecsAmiParameter(architecture: Architecture): string {
  return architecture === "arm64"
    ? "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"
    : "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id";
}

/** Agent settings for the hosts (written to /etc/ecs/ecs.config at boot). */
export function renderEcsUserData(clusterName: string): string {
  return [
    "#!/bin/bash",
    "cat >> /etc/ecs/ecs.config <<'EOF'",
    `ECS_CLUSTER=${clusterName}`,
    // awsvpc tasks must not borrow the host's instance-profile credentials via IMDS: each task
    // gets exactly the permissions of its own task role.
    "ECS_AWSVPC_BLOCK_IMDS=true",
    "ECS_ENABLE_CONTAINER_METADATA=true",
    // A task's app container waits for its Redis readiness gate (ecs-task.ts) up to this long; the
    // first deploy's cluster formation takes a few minutes.
    "ECS_CONTAINER_START_TIMEOUT=10m",
    "EOF",
    "",
  ].join("\n");
}

export class EcsCluster extends pulumi.ComponentResource {
  readonly cluster: aws.ecs.Cluster;
  readonly clusterName: pulumi.Output<string>;
  readonly clusterArn: pulumi.Output<string>;
  readonly capacityProvider: aws.ecs.CapacityProvider;
  readonly autoScalingGroup: aws.autoscaling.Group;
  /** Services must depend on this: ECS rejects a strategy naming a provider not yet attached. */
  readonly capacityProviders: aws.ecs.ClusterCapacityProviders;
  readonly hostSecurityGroup: aws.ec2.SecurityGroup;

  constructor(name: string, args: EcsClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rqueue:infra:EcsCluster", name, {}, opts);
    const tags = args.tags ?? {};

    this.cluster = new aws.ecs.Cluster(
      `${name}-cluster`,
      {
        name: args.namePrefix,
        // Container Insights gives per-service CPU/memory and task counts on the dashboard.
        settings: [{ name: "containerInsights", value: "enabled" }],
        tags,
      },
      { parent: this },
    );
    this.clusterName = this.cluster.name;
    this.clusterArn = this.cluster.arn;

    // Hosts take no inbound traffic: in awsvpc mode every task has its own ENI and security group.
    this.hostSecurityGroup = new aws.ec2.SecurityGroup(
      `${name}-host-sg`,
      {
        vpcId: args.vpcId,
        description: "R-queue ECS container hosts",
        tags: { ...tags, Name: `${args.namePrefix}-ecs-host` },
      },
      { parent: this },
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-host-egress`,
      {
        securityGroupId: this.hostSecurityGroup.id,
        ipProtocol: "-1",
        cidrIpv4: "0.0.0.0/0",
        description: "ECS agent, ECR and CloudWatch through NAT",
      },
      { parent: this },
    );

    const hostRole = new aws.iam.Role(
      `${name}-host-role`,
      { assumeRolePolicy: aws.iam.assumeRolePolicyForPrincipal({ Service: "ec2.amazonaws.com" }), tags },
      { parent: this },
    );
    for (const [key, policyArn] of [
      // What the ECS agent itself needs to register the host and run tasks.
      ["ecs-agent", "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"],
      // Session Manager instead of SSH for debugging hosts.
      ["ssm-core", "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"],
    ] as const) {
      new aws.iam.RolePolicyAttachment(
        `${name}-host-${key}`,
        { role: hostRole.name, policyArn },
        { parent: this },
      );
    }
    const hostProfile = new aws.iam.InstanceProfile(
      `${name}-host-profile`,
      { role: hostRole.name, tags },
      { parent: this },
    );

    const launchTemplate = new aws.ec2.LaunchTemplate(
      `${name}-hosts`,
      {
        imageId: aws.ssm.getParameterOutput({ name: ecsAmiParameter(args.architecture) }, { parent: this })
          .value,
        instanceType: args.instanceType,
        iamInstanceProfile: { arn: hostProfile.arn },
        vpcSecurityGroupIds: [this.hostSecurityGroup.id],
        userData: this.cluster.name.apply((n) => Buffer.from(renderEcsUserData(n)).toString("base64")),
        blockDeviceMappings: [
          {
            deviceName: "/dev/xvda",
            ebs: {
              encrypted: "true",
              volumeType: "gp3",
              volumeSize: args.volumeSizeGb,
              deleteOnTermination: "true",
            },
          },
        ],
        // IMDSv2 only; hop limit 2 so the ECS agent's own container can still reach it.
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 2 },
        monitoring: { enabled: true },
        tagSpecifications: [
          { resourceType: "instance", tags: { ...tags, Name: `${args.namePrefix}-ecs-host` } },
          { resourceType: "volume", tags: { ...tags, Name: `${args.namePrefix}-ecs-host` } },
        ],
        updateDefaultVersion: true,
        tags,
      },
      { parent: this },
    );

    this.autoScalingGroup = new aws.autoscaling.Group(
      `${name}-hosts`,
      {
        vpcZoneIdentifiers: args.privateSubnetIds,
        minSize: args.minInstances,
        maxSize: args.maxInstances,
        launchTemplate: { id: launchTemplate.id, version: "$Latest" },
        // Required by managed termination protection: ECS unprotects a host only once it is empty.
        protectFromScaleIn: true,
        healthCheckType: "EC2",
        healthCheckGracePeriod: 120,
        // Scale-in protection would otherwise make `make destroy` wait forever on the hosts.
        forceDelete: true,
        tags: [
          // ECS owns this group's desired capacity; the tag marks it as managed by a capacity provider.
          { key: "AmazonECSManaged", value: "true", propagateAtLaunch: true },
          { key: "Name", value: `${args.namePrefix}-ecs-host`, propagateAtLaunch: true },
          ...Object.entries(tags).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
        ],
      },
      // Managed scaling changes desiredCapacity at run time; Pulumi must not reset it on every `up`.
      { parent: this, ignoreChanges: ["desiredCapacity"] },
    );

    this.capacityProvider = new aws.ecs.CapacityProvider(
      `${name}-capacity`,
      {
        name: `${args.namePrefix}-ec2`,
        autoScalingGroupProvider: {
          autoScalingGroupArn: this.autoScalingGroup.arn,
          managedTerminationProtection: "ENABLED",
          managedDraining: "ENABLED",
          managedScaling: {
            status: "ENABLED",
            // 100%: no idle spare hosts; new worker tasks wait in PROVISIONING while a host boots.
            targetCapacity: 100,
            minimumScalingStepSize: 1,
            maximumScalingStepSize: 4,
            instanceWarmupPeriod: 120,
          },
        },
        tags,
      },
      { parent: this },
    );

    this.capacityProviders = new aws.ecs.ClusterCapacityProviders(
      `${name}-capacity-providers`,
      {
        clusterName: this.cluster.name,
        capacityProviders: [this.capacityProvider.name],
        defaultCapacityProviderStrategies: [
          { capacityProvider: this.capacityProvider.name, weight: 1, base: 0 },
        ],
      },
      { parent: this },
    );

    this.registerOutputs({
      clusterName: this.clusterName,
      clusterArn: this.clusterArn,
      capacityProvider: this.capacityProvider.name,
      autoScalingGroup: this.autoScalingGroup.name,
    });
  }
}
