/**
 * Stack configuration: the one place that knows the `rqueue:*` config keys, their defaults and
 * their limits. Everything else receives a validated, fully-populated `StackConfig`, so the
 * components never read `pulumi.Config` themselves and tests can build them from plain objects.
 */
import * as pulumi from "@pulumi/pulumi";
import { checkScalingPolicy, DEFAULT_SCALING_POLICY, parseQueueList, type QueueWeight } from "@rqueue/shared";

export type NatStrategy = "OnePerAz" | "Single";
export type Architecture = "x86_64" | "arm64";

export interface StackConfig {
  /** Prefix for physical names (ECS cluster, services, log groups, parameters): `rqueue-<stack>`. */
  namePrefix: string;
  region: string;
  /** CPU architecture of every EC2 host and of the images built for them. */
  architecture: Architecture;
  network: {
    cidrBlock: string;
    availabilityZones: number;
    natStrategy: NatStrategy;
    /** ECR/CloudWatch/SSM interface endpoints (cost per AZ; the free S3 gateway is always made). */
    interfaceEndpoints: boolean;
  };
  redis: {
    nodeCount: number;
    replicasPerMaster: number;
    instanceType: string;
    volumeSizeGb: number;
    /** Container image the nodes run; ECR Public's mirror of the official image avoids Docker Hub limits. */
    image: string;
    /** Share of the instance's RAM given to `maxmemory`; the rest covers AOF-rewrite forks and the OS. */
    maxmemoryPercent: number;
    /** The AMI every node boots: explicit, so a node replaced tomorrow runs what was tested today. */
    ami: string;
    /** The one node `pulumi up` may replace (RQ_ROLL_REDIS_NODE, set by `make roll-redis`). */
    rollingNode: number | undefined;
    minReplicasToWrite: number;
    minReplicasMaxLagSeconds: number;
    snapshotIntervalHours: number;
    snapshotRetainCount: number;
    password: pulumi.Output<string>;
  };
  ecs: {
    instanceType: string;
    minInstances: number;
    maxInstances: number;
    volumeSizeGb: number;
  };
  controlPlane: {
    desiredCount: number;
    cpu: number;
    memory: number;
    /** ACM certificate ARN: when set the ALB serves HTTPS (and redirects HTTP). */
    certificateArn?: string | undefined;
    /** DNS name you point at the ALB (e.g. api.example.com); used for the apiUrl output. */
    domainName?: string | undefined;
    /** Who may reach the ALB: internal (VPC only) or internet-facing from these ranges. */
    access: { internal: boolean; allowedCidrs: string[] };
    /** Comma-separated API keys the control plane accepts. */
    apiKeys: pulumi.Output<string>;
  };
  worker: {
    minCount: number;
    maxCount: number;
    cpu: number;
    memory: number;
    concurrency: number;
    drainTimeoutMs: number;
    stopTimeoutSeconds: number;
    /** RQ_QUEUES as parsed once: names (metric dimensions) and weights (the worker's share-out). */
    queues: QueueWeight[];
  };
  autoscaling: {
    /** The shared policy's acceptable latency: work on hand should drain within this. */
    targetDrainSeconds: number;
    /** Seconds per job assumed for a queue before the engine has measured any. */
    fallbackJobSeconds: number;
  };
  alarms: {
    email?: string | undefined;
    oldestPendingAgeSeconds: number;
    deadLetteredGrowthThreshold: number;
  };
  logRetentionDays: number;
}

/** Values a stack may leave out. Secrets, the region and the prefix have no sensible default. */
export const DEFAULTS = {
  architecture: "x86_64",
  network: {
    cidrBlock: "10.0.0.0/16",
    availabilityZones: 3,
    natStrategy: "OnePerAz",
    interfaceEndpoints: true,
  },
  redis: {
    nodeCount: 6,
    replicasPerMaster: 1,
    instanceType: "r6i.large",
    volumeSizeGb: 30,
    image: "public.ecr.aws/docker/library/redis:7.2",
    maxmemoryPercent: 70,
    minReplicasMaxLagSeconds: 10,
    // Every 4 hours, a week kept: incremental, so the cost is the changed blocks.
    snapshotIntervalHours: 4,
    snapshotRetainCount: 42,
  },
  ecs: { instanceType: "m6i.large", minInstances: 1, maxInstances: 10, volumeSizeGb: 30 },
  controlPlane: { desiredCount: 2, cpu: 512, memory: 1024 },
  worker: {
    // The cloud mirrors the local supervisor's policy (1–10 workers, same backlog target).
    minCount: DEFAULT_SCALING_POLICY.min,
    maxCount: DEFAULT_SCALING_POLICY.max,
    cpu: 512,
    memory: 1024,
    concurrency: 10,
    drainTimeoutMs: 25_000,
    stopTimeoutSeconds: 60,
    queues: "default",
  },
  // The same policy as the local supervisor: the control plane decides, ECS applies.
  autoscaling: {
    targetDrainSeconds: DEFAULT_SCALING_POLICY.targetDrainSeconds,
    fallbackJobSeconds: DEFAULT_SCALING_POLICY.fallbackJobSeconds,
  },
  alarms: { oldestPendingAgeSeconds: 300, deadLetteredGrowthThreshold: 0 },
  logRetentionDays: 30,
} as const;

/** ECS caps `stopTimeout` at 120 s on EC2 hosts; past that SIGKILL comes regardless. */
export const ECS_MAX_STOP_TIMEOUT_SECONDS = 120;

/** Characters safe in redis.conf's quoted values and in the bootstrap script; `openssl rand -hex 32` qualifies. */
const REDIS_PASSWORD_PATTERN = /^[A-Za-z0-9._~+=@%^-]{16,256}$/;

/** The intervals Data Lifecycle Manager accepts for an hourly schedule. */
const DLM_INTERVAL_HOURS = [1, 2, 3, 4, 6, 8, 12, 24];

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Validates the combinations no single key can check; throws ConfigError naming the key to fix. */
export function validateConfig(config: StackConfig): StackConfig {
  const fail = (key: string, why: string): never => {
    throw new ConfigError(`rqueue:${key}: ${why}`);
  };
  const { network, redis, ecs, controlPlane, worker, autoscaling } = config;

  if (
    !Number.isInteger(network.availabilityZones) ||
    network.availabilityZones < 2 ||
    network.availabilityZones > 3
  ) {
    fail("availabilityZones", `must be 2 or 3, got ${network.availabilityZones}`);
  }
  if (network.natStrategy !== "OnePerAz" && network.natStrategy !== "Single") {
    fail("natStrategy", `must be "OnePerAz" or "Single", got "${network.natStrategy}"`);
  }
  if (config.architecture !== "x86_64" && config.architecture !== "arm64") {
    fail("architecture", `must be "x86_64" or "arm64", got "${config.architecture}"`);
  }

  const groupSize = redis.replicasPerMaster + 1;
  if (!Number.isInteger(redis.replicasPerMaster) || redis.replicasPerMaster < 0) {
    fail("redisReplicasPerMaster", "must be a whole number ≥ 0");
  }
  if (!Number.isInteger(redis.nodeCount) || redis.nodeCount % groupSize !== 0) {
    fail("redisNodeCount", `must be a multiple of redisReplicasPerMaster + 1 (${groupSize})`);
  }
  // Redis Cluster refuses to form with fewer than 3 masters.
  if (redis.nodeCount / groupSize < 3) {
    fail("redisNodeCount", `gives ${redis.nodeCount / groupSize} masters; Redis Cluster needs at least 3`);
  }
  if (redis.maxmemoryPercent < 10 || redis.maxmemoryPercent > 90) {
    fail("redisMaxmemoryPercent", "must be between 10 and 90");
  }
  if (!/^ami-[0-9a-f]{8,17}$/.test(redis.ami)) {
    fail("redisAmi", `must be an AMI ID (ami-...), got "${redis.ami}"`);
  }
  if (redis.rollingNode !== undefined && !(redis.rollingNode >= 0 && redis.rollingNode < redis.nodeCount)) {
    fail("redisAmi", `RQ_ROLL_REDIS_NODE must name a node from 0 to ${redis.nodeCount - 1}`);
  }
  if (redis.minReplicasToWrite < 0 || redis.minReplicasToWrite > redis.replicasPerMaster) {
    fail(
      "redisMinReplicasToWrite",
      `must be between 0 and redisReplicasPerMaster (${redis.replicasPerMaster})`,
    );
  }
  if (!DLM_INTERVAL_HOURS.includes(redis.snapshotIntervalHours)) {
    fail(
      "redisSnapshotIntervalHours",
      `must be one of ${DLM_INTERVAL_HOURS.join(", ")} (Data Lifecycle Manager)`,
    );
  }
  if (redis.snapshotRetainCount < 1 || redis.snapshotRetainCount > 1000) {
    fail("redisSnapshotRetainCount", "must be between 1 and 1000");
  }

  if (ecs.minInstances < 0 || ecs.maxInstances < Math.max(1, ecs.minInstances)) {
    fail("ecsMaxInstances", "must be ≥ 1 and ≥ ecsMinInstances");
  }
  if (controlPlane.desiredCount < 1) fail("controlPlaneDesiredCount", "must be ≥ 1");
  const https = Boolean(controlPlane.certificateArn);
  const openToAll = controlPlane.access.allowedCidrs.some((cidr) => cidr === "0.0.0.0/0");
  if (!https && !controlPlane.access.internal && openToAll) {
    fail(
      "certificateArn",
      "an internet-facing load balancer must serve HTTPS (API keys would cross the internet in clear text): " +
        "set rqueue:certificateArn to an ACM certificate, or make it rqueue:albInternal true, " +
        "or limit rqueue:albAllowedCidrs to your own ranges",
    );
  }
  for (const cidr of controlPlane.access.allowedCidrs) {
    if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(cidr))
      fail("albAllowedCidrs", `"${cidr}" is not an IPv4 CIDR`);
  }

  if (worker.minCount < 1) fail("workerMinCount", "must be ≥ 1: the backlog metric needs a worker to exist");
  if (worker.maxCount < worker.minCount) fail("workerMaxCount", "must be ≥ workerMinCount");
  if (worker.queues.length === 0) fail("workerQueues", "must name at least one queue");
  // The worker finishes in-flight jobs for drainTimeoutMs after SIGTERM; ECS must not SIGKILL it sooner.
  if (worker.stopTimeoutSeconds * 1000 <= worker.drainTimeoutMs) {
    fail("workerStopTimeoutSeconds", `must exceed the drain timeout (${worker.drainTimeoutMs} ms)`);
  }
  if (worker.stopTimeoutSeconds > ECS_MAX_STOP_TIMEOUT_SECONDS) {
    fail("workerStopTimeoutSeconds", `ECS allows at most ${ECS_MAX_STOP_TIMEOUT_SECONDS}`);
  }
  for (const problem of checkScalingPolicy({
    ...DEFAULT_SCALING_POLICY,
    min: worker.minCount,
    max: worker.maxCount,
    ...autoscaling,
  })) {
    fail("scaling", problem);
  }
  if (worker.maxCount > 10)
    fail("workerMaxCount", "must be at most 10 (the workers' RQ_AUTOSCALE_MAX bound)");
  return config;
}

/** Checked when the secret resolves (it cannot be read synchronously), so a bad value fails the preview. */
export function checkRedisPassword(password: string): string {
  if (!REDIS_PASSWORD_PATTERN.test(password)) {
    throw new ConfigError(
      "rqueue:redisPassword: use 16-256 characters from [A-Za-z0-9._~+=@%^-], e.g. `openssl rand -hex 32`",
    );
  }
  return password;
}

/** Reads `rqueue:*` (and `aws:region`) from the selected stack, and RQ_ROLL_REDIS_NODE from `env`. */
export function loadConfig(env: Record<string, string | undefined> = process.env): StackConfig {
  const cfg = new pulumi.Config("rqueue");
  const d = DEFAULTS;
  const int = (key: string, fallback: number) => cfg.getNumber(key) ?? fallback;
  const queues = (key: string, fallback: string) => {
    const parsed = parseQueueList(cfg.get(key) ?? fallback);
    if (!parsed.ok) throw new ConfigError(`rqueue:${key}: ${parsed.error}`);
    return parsed.queues;
  };

  return validateConfig({
    namePrefix: cfg.get("namePrefix") ?? `rqueue-${pulumi.getStack()}`,
    region: new pulumi.Config("aws").require("region"),
    architecture: (cfg.get("architecture") ?? d.architecture) as Architecture,
    network: {
      cidrBlock: cfg.get("vpcCidr") ?? d.network.cidrBlock,
      availabilityZones: int("availabilityZones", d.network.availabilityZones),
      natStrategy: (cfg.get("natStrategy") ?? d.network.natStrategy) as NatStrategy,
      interfaceEndpoints: cfg.getBoolean("vpcInterfaceEndpoints") ?? d.network.interfaceEndpoints,
    },
    redis: {
      nodeCount: int("redisNodeCount", d.redis.nodeCount),
      replicasPerMaster: int("redisReplicasPerMaster", d.redis.replicasPerMaster),
      instanceType: cfg.get("redisInstanceType") ?? d.redis.instanceType,
      volumeSizeGb: int("redisVolumeSizeGb", d.redis.volumeSizeGb),
      image: cfg.get("redisImage") ?? d.redis.image,
      maxmemoryPercent: int("redisMaxmemoryPercent", d.redis.maxmemoryPercent),
      ami: cfg.require("redisAmi"),
      rollingNode: env.RQ_ROLL_REDIS_NODE ? Number(env.RQ_ROLL_REDIS_NODE) : undefined,
      // Writes wait for a replica in sync wherever there is one (see infra/README.md, durability).
      minReplicasToWrite: int(
        "redisMinReplicasToWrite",
        Math.min(1, int("redisReplicasPerMaster", d.redis.replicasPerMaster)),
      ),
      minReplicasMaxLagSeconds: int("redisMinReplicasMaxLagSeconds", d.redis.minReplicasMaxLagSeconds),
      snapshotIntervalHours: int("redisSnapshotIntervalHours", d.redis.snapshotIntervalHours),
      snapshotRetainCount: int("redisSnapshotRetainCount", d.redis.snapshotRetainCount),
      password: cfg.requireSecret("redisPassword").apply(checkRedisPassword),
    },
    ecs: {
      instanceType: cfg.get("ecsInstanceType") ?? d.ecs.instanceType,
      minInstances: int("ecsMinInstances", d.ecs.minInstances),
      maxInstances: int("ecsMaxInstances", d.ecs.maxInstances),
      volumeSizeGb: int("ecsVolumeSizeGb", d.ecs.volumeSizeGb),
    },
    controlPlane: {
      desiredCount: int("controlPlaneDesiredCount", d.controlPlane.desiredCount),
      cpu: int("controlPlaneCpu", d.controlPlane.cpu),
      memory: int("controlPlaneMemory", d.controlPlane.memory),
      certificateArn: cfg.get("certificateArn"),
      domainName: cfg.get("apiDomainName"),
      access: {
        internal: cfg.getBoolean("albInternal") ?? false,
        allowedCidrs: (cfg.get("albAllowedCidrs") ?? "0.0.0.0/0")
          .split(",")
          .map((cidr) => cidr.trim())
          .filter((cidr) => cidr.length > 0),
      },
      apiKeys: cfg.requireSecret("apiKeys"),
    },
    worker: {
      minCount: int("workerMinCount", d.worker.minCount),
      maxCount: int("workerMaxCount", d.worker.maxCount),
      cpu: int("workerCpu", d.worker.cpu),
      memory: int("workerMemory", d.worker.memory),
      concurrency: int("workerConcurrency", d.worker.concurrency),
      drainTimeoutMs: int("workerDrainTimeoutMs", d.worker.drainTimeoutMs),
      stopTimeoutSeconds: int("workerStopTimeoutSeconds", d.worker.stopTimeoutSeconds),
      queues: queues("workerQueues", d.worker.queues),
    },
    autoscaling: {
      targetDrainSeconds: int("scalingTargetDrainSeconds", d.autoscaling.targetDrainSeconds),
      fallbackJobSeconds: int("scalingFallbackJobMs", d.autoscaling.fallbackJobSeconds * 1000) / 1000,
    },
    alarms: {
      email: cfg.get("alarmEmail"),
      oldestPendingAgeSeconds: int("oldestPendingAgeAlarmSeconds", d.alarms.oldestPendingAgeSeconds),
      deadLetteredGrowthThreshold: int("deadLetteredGrowthThreshold", d.alarms.deadLetteredGrowthThreshold),
    },
    logRetentionDays: int("logRetentionDays", d.logRetentionDays),
  });
}
