/**
 * The whole system from a validated StackConfig: creates each component in dependency order and
 * connects their outputs to each other's inputs. It decides nothing about any single resource —
 * that lives in the component files — only who talks to whom.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { METRIC_NAMESPACE } from "@rqueue/shared";
import { Alarms } from "./alarms.js";
import { type ArchiveStackConfig, ArchiveStorage } from "./archive.js";
import { WorkerAutoscaling } from "./autoscaling.js";
import type { StackConfig } from "./config.js";
import { ControlPlaneService } from "./control-plane-service.js";
import { Dashboard } from "./dashboard.js";
import { EcsCluster } from "./ecs-cluster.js";
import { type AwsScope, partitionOf } from "./iam.js";
import { AppImages } from "./images.js";
import { Network } from "./network.js";
import { RedisCluster } from "./redis-cluster.js";
import { AppSecrets } from "./secrets.js";
import { TaskSecurityGroups } from "./security-groups.js";
import { WorkerService } from "./worker-service.js";

/** Physical service names are fixed (not auto-named) because IAM policies and env vars refer to them. */
export function serviceNames(namePrefix: string) {
  return { controlPlane: `${namePrefix}-control-plane`, worker: `${namePrefix}-worker` };
}

export interface RQueueStack {
  network: Network;
  taskSecurityGroups: TaskSecurityGroups;
  secrets: AppSecrets;
  redis: RedisCluster;
  ecs: EcsCluster;
  images: AppImages;
  worker: WorkerService;
  controlPlane: ControlPlaneService;
  autoscaling: WorkerAutoscaling;
  alarms: Alarms;
  dashboard: Dashboard;
  /** The archive's database and blob bucket, when the stack config enables them. */
  archive: ArchiveStorage | null;
  /** The values `pulumi stack output` shows. */
  outputs: {
    apiUrl: pulumi.Output<string>;
    dashboardUrl: pulumi.Output<string>;
    redisEndpoints: pulumi.Output<string[]>;
    ecsClusterName: pulumi.Output<string>;
    controlPlaneServiceName: pulumi.Output<string>;
    workerServiceName: pulumi.Output<string>;
    vpcId: pulumi.Output<string>;
    controlPlaneImage: pulumi.Output<string>;
    workerImage: pulumi.Output<string>;
    alarmTopicArn: pulumi.Output<string | undefined>;
  };
}

export function createStack(
  config: StackConfig,
  archiveConfig: ArchiveStackConfig = { database: null, blobs: null },
): RQueueStack {
  const prefix = config.namePrefix;
  const tags = { "rqueue:stack": prefix, "managed-by": "pulumi" };
  const names = serviceNames(prefix);

  const identity = aws.getCallerIdentityOutput({});
  const scope: pulumi.Output<AwsScope> = identity.apply((id) => ({
    partition: partitionOf(id.arn),
    region: config.region,
    accountId: id.accountId,
  }));

  const network = new Network("network", { ...config.network, region: config.region, tags });
  const taskSecurityGroups = new TaskSecurityGroups("tasks", {
    vpcId: network.vpcId,
    namePrefix: prefix,
    tags,
  });
  const secrets = new AppSecrets("secrets", {
    namePrefix: prefix,
    redisPassword: config.redis.password,
    apiKeys: config.controlPlane.apiKeys,
    tags,
  });

  const redis = new RedisCluster("redis", {
    namePrefix: prefix,
    region: config.region,
    architecture: config.architecture,
    vpcId: network.vpcId,
    privateSubnetIds: network.privateSubnetIds,
    azCount: config.network.availabilityZones,
    clientSecurityGroupIds: {
      "control-plane": taskSecurityGroups.controlPlane.id,
      worker: taskSecurityGroups.worker.id,
    },
    nodeCount: config.redis.nodeCount,
    replicasPerMaster: config.redis.replicasPerMaster,
    instanceType: config.redis.instanceType,
    volumeSizeGb: config.redis.volumeSizeGb,
    ami: config.redis.ami,
    rollingNode: config.redis.rollingNode,
    image: config.redis.image,
    maxmemoryPercent: config.redis.maxmemoryPercent,
    minReplicasToWrite: config.redis.minReplicasToWrite,
    minReplicasMaxLagSeconds: config.redis.minReplicasMaxLagSeconds,
    snapshotIntervalHours: config.redis.snapshotIntervalHours,
    snapshotRetainCount: config.redis.snapshotRetainCount,
    passwordParameter: { name: secrets.redisPassword.name, arn: secrets.redisPassword.arn },
    tags,
  });

  const ecs = new EcsCluster("ecs", {
    namePrefix: prefix,
    architecture: config.architecture,
    vpcId: network.vpcId,
    privateSubnetIds: network.privateSubnetIds,
    instanceType: config.ecs.instanceType,
    minInstances: config.ecs.minInstances,
    maxInstances: config.ecs.maxInstances,
    volumeSizeGb: config.ecs.volumeSizeGb,
    tags,
  });

  const images = new AppImages("images", { namePrefix: prefix, architecture: config.architecture, tags });

  const common = {
    namePrefix: prefix,
    region: config.region,
    architecture: config.architecture,
    scope,
    privateSubnetIds: network.privateSubnetIds,
    clusterName: ecs.clusterName,
    clusterArn: ecs.clusterArn,
    capacityProviderName: ecs.capacityProvider.name,
    dependsOn: [ecs.capacityProviders],
    redisUrl: redis.url,
    logRetentionDays: config.logRetentionDays,
    tags,
  };

  const archive =
    archiveConfig.database || archiveConfig.blobs
      ? new ArchiveStorage("archive", {
          namePrefix: prefix,
          region: config.region,
          vpcId: network.vpcId,
          privateSubnetIds: network.privateSubnetIds,
          controlPlaneSecurityGroupId: taskSecurityGroups.controlPlane.id,
          config: archiveConfig,
          tags,
        })
      : null;

  const worker = new WorkerService("worker", {
    ...common,
    addOns: archive?.workerAddOns,
    taskSecurityGroupId: taskSecurityGroups.worker.id,
    serviceName: names.worker,
    image: { uri: images.worker.imageUri, repositoryArn: images.worker.repository.arn },
    redisPasswordArn: secrets.redisPassword.arn,
    desiredCount: config.worker.minCount,
    cpu: config.worker.cpu,
    memory: config.worker.memory,
    queues: config.worker.queues,
    concurrency: config.worker.concurrency,
    drainTimeoutMs: config.worker.drainTimeoutMs,
    stopTimeoutSeconds: config.worker.stopTimeoutSeconds,
    settleReplicas: config.redis.minReplicasToWrite,
  });

  const controlPlane = new ControlPlaneService("control-plane", {
    ...common,
    addOns: archive?.controlPlaneAddOns,
    vpcId: network.vpcId,
    publicSubnetIds: network.publicSubnetIds,
    taskSecurityGroupId: taskSecurityGroups.controlPlane.id,
    serviceName: names.controlPlane,
    workerServiceName: names.worker,
    workerFleet: {
      queues: config.worker.queues,
      concurrency: config.worker.concurrency,
      minCount: config.worker.minCount,
      maxCount: config.worker.maxCount,
      ...config.autoscaling,
    },
    submitReplicas: config.redis.minReplicasToWrite,
    metricNamespace: METRIC_NAMESPACE,
    image: { uri: images.controlPlane.imageUri, repositoryArn: images.controlPlane.repository.arn },
    secrets: { redisPasswordArn: secrets.redisPassword.arn, apiKeysArn: secrets.apiKeys.arn },
    desiredCount: config.controlPlane.desiredCount,
    cpu: config.controlPlane.cpu,
    memory: config.controlPlane.memory,
    certificateArn: config.controlPlane.certificateArn,
    access: config.controlPlane.access,
    domainName: config.controlPlane.domainName,
  });

  archive?.grantBucketAccess(controlPlane.taskRole, worker.taskRole);

  const autoscaling = new WorkerAutoscaling("worker-autoscaling", {
    namePrefix: prefix,
    clusterName: ecs.clusterName,
    serviceName: worker.serviceName,
    minCount: config.worker.minCount,
    maxCount: config.worker.maxCount,
    tags,
  });
  const queueNames = config.worker.queues.map((queue) => queue.name);

  const redisInstanceIds = redis.instances.map((i) => i.id);
  const alarms = new Alarms("alarms", {
    namePrefix: prefix,
    region: config.region,
    partition: scope.partition,
    queues: queueNames,
    email: config.alarms.email,
    oldestPendingAgeSeconds: config.alarms.oldestPendingAgeSeconds,
    deadLetteredGrowthThreshold: config.alarms.deadLetteredGrowthThreshold,
    redisInstanceIds,
    loadBalancerArnSuffix: controlPlane.loadBalancer.arnSuffix,
    targetGroupArnSuffix: controlPlane.targetGroup.arnSuffix,
    tags,
  });

  archive?.addLagAlarms(prefix, queueNames, alarms.topic ? [alarms.topic.arn] : []);

  const dashboard = new Dashboard("dashboard", {
    namePrefix: prefix,
    region: config.region,
    queues: queueNames,
    clusterName: ecs.clusterName,
    workerServiceName: worker.serviceName,
    controlPlaneServiceName: controlPlane.serviceName,
    autoScalingGroupName: ecs.autoScalingGroup.name,
    loadBalancerArnSuffix: controlPlane.loadBalancer.arnSuffix,
    redisInstanceIds,
  });

  return {
    network,
    taskSecurityGroups,
    secrets,
    redis,
    ecs,
    images,
    worker,
    controlPlane,
    autoscaling,
    alarms,
    dashboard,
    archive,
    outputs: {
      apiUrl: controlPlane.apiUrl,
      dashboardUrl: dashboard.url,
      // Private addresses: reachable only from inside the VPC (tasks, or Session Manager on a node).
      redisEndpoints: redis.endpoints,
      ecsClusterName: ecs.clusterName,
      controlPlaneServiceName: controlPlane.serviceName,
      workerServiceName: worker.serviceName,
      vpcId: network.vpcId,
      controlPlaneImage: images.controlPlane.imageUri,
      workerImage: images.worker.imageUri,
      alarmTopicArn: alarms.topic ? alarms.topic.arn : pulumi.output(undefined),
    },
  };
}
