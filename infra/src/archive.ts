/**
 * The archive's AWS resources, optional by stack config (`rqueue:archive`,
 * `rqueue:blobBucket`): an RDS PostgreSQL instance in the private subnets
 * (encrypted, automated backups, reachable only from the control-plane tasks)
 * and an S3 bucket for large payloads and results (private, encrypted, TLS only,
 * a lifecycle rule expiring objects after the blob retention), with
 * least-privilege task policies. It hands the services the environment and
 * secrets their containers need (ContainerAddOns), so the service components
 * stay unaware of what is archived where.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ARCHIVE_METRIC_NAMES, METRIC_NAMESPACE, METRIC_QUEUE_DIMENSION } from "@rqueue/shared";
import type { ContainerDefinition } from "./ecs-task.js";

export interface ArchiveStackConfig {
  /** RDS PostgreSQL for the archive of finished jobs. */
  database: {
    instanceClass: string;
    allocatedStorageGb: number;
    maxAllocatedStorageGb: number;
    engineVersion: string;
    multiAz: boolean;
    backupRetentionDays: number;
    deletionProtection: boolean;
    password: pulumi.Input<string>;
    retentionDays: number;
  } | null;
  /** S3 bucket for payloads and results over the threshold. */
  blobs: { retentionDays: number; thresholdBytes: number } | null;
}

export const ARCHIVE_DEFAULTS = {
  instanceClass: "db.t4g.medium",
  allocatedStorageGb: 100,
  maxAllocatedStorageGb: 1_000,
  engineVersion: "16",
  multiAz: false,
  backupRetentionDays: 7,
  deletionProtection: true,
  retentionDays: 30,
  blobThresholdBytes: 64 * 1024,
} as const;

/** Reads `rqueue:archive*` and `rqueue:blob*` from the stack configuration; both parts off by default. */
export function loadArchiveConfig(config = new pulumi.Config("rqueue")): ArchiveStackConfig {
  const archiveOn = config.getBoolean("archive") ?? false;
  const blobsOn = config.getBoolean("blobBucket") ?? false;
  const retentionDays =
    config.getNumber("archiveRetentionDays", { min: 1, max: 3_650 }) ?? ARCHIVE_DEFAULTS.retentionDays;
  return {
    database: archiveOn
      ? {
          instanceClass: config.get("archiveInstanceClass") ?? ARCHIVE_DEFAULTS.instanceClass,
          allocatedStorageGb:
            config.getNumber("archiveStorageGb", { min: 20 }) ?? ARCHIVE_DEFAULTS.allocatedStorageGb,
          maxAllocatedStorageGb:
            config.getNumber("archiveMaxStorageGb", { min: 20 }) ?? ARCHIVE_DEFAULTS.maxAllocatedStorageGb,
          engineVersion: config.get("archiveEngineVersion") ?? ARCHIVE_DEFAULTS.engineVersion,
          multiAz: config.getBoolean("archiveMultiAz") ?? ARCHIVE_DEFAULTS.multiAz,
          backupRetentionDays:
            config.getNumber("archiveBackupDays", { min: 1, max: 35 }) ??
            ARCHIVE_DEFAULTS.backupRetentionDays,
          deletionProtection:
            config.getBoolean("archiveDeletionProtection") ?? ARCHIVE_DEFAULTS.deletionProtection,
          password: config.requireSecret("archivePassword"),
          retentionDays,
        }
      : null,
    blobs: blobsOn
      ? {
          retentionDays: archiveOn ? retentionDays : 8,
          thresholdBytes:
            config.getNumber("blobThresholdBytes", { min: 1_024 }) ?? ARCHIVE_DEFAULTS.blobThresholdBytes,
        }
      : null,
  };
}

/** Extra environment and secrets for a service's container. */
export interface ContainerAddOns {
  environment: Record<string, string>;
  secrets: { name: string; valueFrom: string }[];
}

export const NO_ADD_ONS: ContainerAddOns = { environment: {}, secrets: [] };

export function applyAddOns(container: ContainerDefinition, addOns: ContainerAddOns): ContainerDefinition {
  return {
    ...container,
    environment: [
      ...container.environment,
      ...Object.entries(addOns.environment).map(([name, value]) => ({ name, value })),
    ],
    secrets: [...container.secrets, ...addOns.secrets],
  };
}

export interface ArchiveStorageArgs {
  namePrefix: string;
  region: string;
  vpcId: pulumi.Input<string>;
  privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** The only security group allowed to reach the database. */
  controlPlaneSecurityGroupId: pulumi.Input<string>;
  config: ArchiveStackConfig;
  tags?: Record<string, string>;
}

const DB_NAME = "rqueue";
const DB_USER = "rqueue";

export class ArchiveStorage extends pulumi.ComponentResource {
  readonly database: aws.rds.Instance | undefined;
  readonly bucket: aws.s3.BucketV2 | undefined;
  /** SecureString holding the database password (ECS injects it as RQ_ARCHIVE_PASSWORD). */
  readonly passwordParameter: aws.ssm.Parameter | undefined;
  readonly controlPlaneAddOns: pulumi.Output<ContainerAddOns>;
  readonly workerAddOns: pulumi.Output<ContainerAddOns>;

  constructor(name: string, args: ArchiveStorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rqueue:infra:ArchiveStorage", name, {}, opts);
    const tags = args.tags ?? {};
    const db = args.config.database;
    const blobs = args.config.blobs;

    if (db) {
      const securityGroup = new aws.ec2.SecurityGroup(
        `${name}-db-sg`,
        {
          vpcId: args.vpcId,
          description: "R-queue archive database: PostgreSQL from the control-plane tasks only",
          ingress: [
            {
              protocol: "tcp",
              fromPort: 5432,
              toPort: 5432,
              securityGroups: [args.controlPlaneSecurityGroupId],
              description: "control-plane tasks",
            },
          ],
          tags: { ...tags, Name: `${args.namePrefix}-archive-db` },
        },
        { parent: this },
      );
      const subnets = new aws.rds.SubnetGroup(
        `${name}-db-subnets`,
        { subnetIds: args.privateSubnetIds, tags },
        { parent: this },
      );
      this.database = new aws.rds.Instance(
        `${name}-db`,
        {
          identifier: `${args.namePrefix}-archive`,
          engine: "postgres",
          engineVersion: db.engineVersion,
          instanceClass: db.instanceClass,
          allocatedStorage: db.allocatedStorageGb,
          maxAllocatedStorage: db.maxAllocatedStorageGb,
          storageType: "gp3",
          storageEncrypted: true,
          dbName: DB_NAME,
          username: DB_USER,
          password: db.password,
          dbSubnetGroupName: subnets.name,
          vpcSecurityGroupIds: [securityGroup.id],
          publiclyAccessible: false,
          multiAz: db.multiAz,
          backupRetentionPeriod: db.backupRetentionDays,
          copyTagsToSnapshot: true,
          deletionProtection: db.deletionProtection,
          skipFinalSnapshot: false,
          finalSnapshotIdentifier: `${args.namePrefix}-archive-final`,
          autoMinorVersionUpgrade: true,
          performanceInsightsEnabled: true,
          tags,
        },
        { parent: this },
      );
      this.passwordParameter = new aws.ssm.Parameter(
        `${name}-db-password`,
        {
          name: `/${args.namePrefix}/archive-password`,
          type: "SecureString",
          description: "R-queue archive database password",
          value: pulumi.secret(db.password),
          tags,
        },
        { parent: this },
      );
    }

    if (blobs) {
      this.bucket = new aws.s3.BucketV2(
        `${name}-blobs`,
        { bucketPrefix: `${args.namePrefix}-blobs-`, tags },
        { parent: this },
      );
      const bucketId = this.bucket.id;
      new aws.s3.BucketPublicAccessBlock(
        `${name}-blobs-private`,
        {
          bucket: bucketId,
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        },
        { parent: this },
      );
      new aws.s3.BucketOwnershipControls(
        `${name}-blobs-ownership`,
        { bucket: bucketId, rule: { objectOwnership: "BucketOwnerEnforced" } },
        { parent: this },
      );
      new aws.s3.BucketServerSideEncryptionConfigurationV2(
        `${name}-blobs-encryption`,
        { bucket: bucketId, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
        { parent: this },
      );
      new aws.s3.BucketLifecycleConfigurationV2(
        `${name}-blobs-lifecycle`,
        {
          bucket: bucketId,
          rules: [
            {
              id: "expire-blobs",
              status: "Enabled",
              filter: { prefix: "" },
              // A day past the retention the control plane enforces, so a missed sweep still ends.
              expiration: { days: blobs.retentionDays + 1 },
              abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
            },
          ],
        },
        { parent: this },
      );
      new aws.s3.BucketPolicy(
        `${name}-blobs-tls-only`,
        {
          bucket: bucketId,
          policy: this.bucket.arn.apply((arn) =>
            JSON.stringify({
              Version: "2012-10-17",
              Statement: [
                {
                  Sid: "DenyInsecureTransport",
                  Effect: "Deny",
                  Principal: "*",
                  Action: "s3:*",
                  Resource: [arn, `${arn}/*`],
                  Condition: { Bool: { "aws:SecureTransport": "false" } },
                },
              ],
            }),
          ),
        },
        { parent: this },
      );
    }

    const blobEnvironment = (bucket: string | undefined): Record<string, string> =>
      bucket && blobs
        ? { RQ_BLOB_S3_BUCKET: bucket, RQ_BLOB_THRESHOLD_BYTES: String(blobs.thresholdBytes) }
        : {};
    this.controlPlaneAddOns = pulumi
      .all([this.database?.address, this.database?.port, this.passwordParameter?.arn, this.bucket?.id])
      .apply(
        ([address, port, passwordArn, bucket]): ContainerAddOns => ({
          environment: {
            ...(db
              ? {
                  RQ_ARCHIVE_URL: `postgres://${DB_USER}@${address}:${port}/${DB_NAME}?sslmode=no-verify`,
                  RQ_ARCHIVE_RETENTION_DAYS: String(db.retentionDays),
                }
              : {}),
            ...blobEnvironment(bucket),
          },
          secrets: passwordArn ? [{ name: "RQ_ARCHIVE_PASSWORD", valueFrom: passwordArn }] : [],
        }),
      );
    this.workerAddOns = pulumi
      .output(this.bucket?.id)
      .apply((bucket): ContainerAddOns => ({ environment: blobEnvironment(bucket), secrets: [] }));
    this.registerOutputs({ databaseAddress: this.database?.address, bucket: this.bucket?.id });
  }

  /**
   * One alarm per queue when its archive lags more than `thresholdSeconds` for five
   * minutes in a row (the archiver is down, or cannot keep up with the queue).
   */
  addLagAlarms(
    namePrefix: string,
    queues: readonly string[],
    alarmActions: pulumi.Input<string>[],
    thresholdSeconds = 300,
  ): aws.cloudwatch.MetricAlarm[] {
    if (!this.database) return [];
    return queues.map(
      (queue) =>
        new aws.cloudwatch.MetricAlarm(
          `archive-${queue}-lag`,
          {
            name: `${namePrefix}-${queue}-archive-lag`,
            alarmDescription: `The archive of queue "${queue}" is more than ${thresholdSeconds} s behind Redis.`,
            namespace: METRIC_NAMESPACE,
            metricName: ARCHIVE_METRIC_NAMES.archiveLagSeconds,
            dimensions: { [METRIC_QUEUE_DIMENSION]: queue },
            statistic: "Maximum",
            period: 60,
            evaluationPeriods: 5,
            comparisonOperator: "GreaterThanThreshold",
            threshold: thresholdSeconds,
            treatMissingData: "notBreaching",
            alarmActions,
            okActions: alarmActions,
          },
          { parent: this },
        ),
    );
  }

  /**
   * Least privilege on the bucket: both services read and write objects; only the
   * control plane lists and deletes (its retention sweep removes whole days).
   */
  grantBucketAccess(controlPlaneRole: aws.iam.Role, workerRole: aws.iam.Role): void {
    const bucket = this.bucket;
    if (!bucket) return;
    const policy = (role: aws.iam.Role, kind: string, sweep: boolean) =>
      new aws.iam.RolePolicy(
        `${kind}-blob-access`,
        {
          role: role.name,
          policy: bucket.arn.apply((arn) => JSON.stringify(bucketPolicyDocument(arn, sweep))),
        },
        { parent: this },
      );
    policy(controlPlaneRole, "control-plane", true);
    policy(workerRole, "worker", false);
  }
}

export function bucketPolicyDocument(bucketArn: string, sweep: boolean) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadWriteBlobs",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:PutObject", ...(sweep ? ["s3:DeleteObject"] : [])],
        Resource: `${bucketArn}/*`,
      },
      ...(sweep
        ? [{ Sid: "ListBlobDays", Effect: "Allow", Action: ["s3:ListBucket"], Resource: bucketArn }]
        : []),
    ],
  };
}
