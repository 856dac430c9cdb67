/**
 * The archive's AWS resources under Pulumi mocks: RDS private, encrypted, backed
 * up and reachable only from the control-plane tasks; the blob bucket private,
 * encrypted, TLS-only with a lifecycle rule; least-privilege bucket access; the
 * containers get the URL, bucket and password secret they need, and nothing is
 * created when the stack config leaves the archive off.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import type { ContainerDefinition } from "./ecs-task.js";
import { installPulumiMocks, PRIVATE_SUBNET_IDS, settle, value } from "./pulumi-mocks.js";

const mocks = installPulumiMocks();
const { createStack } = await import("./stack.js");
const { DEFAULTS } = await import("./config.js");
const { bucketPolicyDocument } = await import("./archive.js");
type StackConfig = import("./config.js").StackConfig;

const config = {
  ...DEFAULTS,
  namePrefix: "rqueue-arch",
  region: "eu-west-1",
  redis: { ...DEFAULTS.redis, password: pulumi.secret("archive-test-redis-password-0123456789") },
  controlPlane: { ...DEFAULTS.controlPlane, apiKeys: pulumi.secret("archive-test-key") },
  worker: { ...DEFAULTS.worker, queues: [{ name: "default", weight: 1 }] },
  alarms: { ...DEFAULTS.alarms },
} as StackConfig;

const DB_PASSWORD = "archive-db-password-0123456789";

const containerOf = (name: string) =>
  (
    JSON.parse(
      mocks.named("aws:ecs/taskDefinition:TaskDefinition", name).inputs.containerDefinitions as string,
    ) as ContainerDefinition[]
  )[0] as ContainerDefinition;
const envOf = (c: ContainerDefinition) => Object.fromEntries(c.environment.map((e) => [e.name, e.value]));

describe("archive storage", () => {
  let stack: ReturnType<typeof createStack>;

  beforeAll(async () => {
    stack = createStack(config, {
      database: {
        instanceClass: "db.t4g.medium",
        allocatedStorageGb: 100,
        maxAllocatedStorageGb: 500,
        engineVersion: "16",
        multiAz: true,
        backupRetentionDays: 7,
        deletionProtection: true,
        password: pulumi.secret(DB_PASSWORD),
        retentionDays: 30,
      },
      blobs: { retentionDays: 30, thresholdBytes: 65_536 },
    });
    await Promise.all(Object.values(stack.outputs).map((o) => value(o as pulumi.Output<unknown>)));
    await value(stack.archive?.controlPlaneAddOns as pulumi.Output<unknown>);
    await settle();
  });

  it("puts an encrypted, backed-up PostgreSQL in the private subnets, reachable only from the control plane", async () => {
    const [db] = mocks.ofType("aws:rds/instance:Instance");
    expect(db?.inputs).toMatchObject({
      engine: "postgres",
      storageEncrypted: true,
      publiclyAccessible: false,
      backupRetentionPeriod: 7,
      multiAz: true,
      deletionProtection: true,
    });
    const [subnets] = mocks.ofType("aws:rds/subnetGroup:SubnetGroup");
    expect(subnets?.inputs.subnetIds).toEqual(PRIVATE_SUBNET_IDS);
    const dbSg = mocks.named("aws:ec2/securityGroup:SecurityGroup", "archive-db-sg");
    const ingress = dbSg.inputs.ingress as {
      fromPort: number;
      securityGroups: string[];
      cidrBlocks?: string[];
    }[];
    expect(ingress).toHaveLength(1);
    expect(ingress[0]?.fromPort).toBe(5432);
    expect(ingress[0]?.securityGroups).toEqual([await value(stack.taskSecurityGroups.controlPlane.id)]);
    expect(ingress[0]?.cidrBlocks).toBeUndefined();
  });

  it("keeps blobs in a private, encrypted, TLS-only bucket that expires them", () => {
    const [block] = mocks.ofType("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
    expect(block?.inputs).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    const [sse] = mocks.ofType(
      "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    );
    expect(JSON.stringify(sse?.inputs)).toContain("AES256");
    const [lifecycle] = mocks.ofType("aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2");
    const rules = (lifecycle?.inputs.rules ?? []) as { expiration: { days: number } }[];
    expect(rules[0]?.expiration.days).toBe(31);
    const [policy] = mocks.ofType("aws:s3/bucketPolicy:BucketPolicy");
    expect(String(policy?.inputs.policy)).toContain("aws:SecureTransport");
  });

  it("alarms per queue when the archive lags", () => {
    const alarm = mocks.named("aws:cloudwatch/metricAlarm:MetricAlarm", "archive-default-lag");
    expect(alarm.inputs).toMatchObject({
      namespace: "RQueue",
      metricName: "ArchiveLagSeconds",
      dimensions: { Queue: "default" },
      comparisonOperator: "GreaterThanThreshold",
    });
  });

  it("gives each service what it needs and no more", () => {
    const cp = containerOf("control-plane-task");
    const cpEnv = envOf(cp);
    expect(cpEnv.RQ_ARCHIVE_URL).toMatch(/^postgres:\/\/rqueue@.+\/rqueue\?sslmode=/);
    expect(cpEnv.RQ_ARCHIVE_URL).not.toContain(DB_PASSWORD);
    expect(cpEnv.RQ_BLOB_S3_BUCKET).toBeTruthy();
    expect(cp.secrets.map((s) => s.name)).toContain("RQ_ARCHIVE_PASSWORD");
    const workerEnv = envOf(containerOf("worker-task"));
    expect(workerEnv.RQ_BLOB_S3_BUCKET).toBe(cpEnv.RQ_BLOB_S3_BUCKET);
    expect(workerEnv.RQ_ARCHIVE_URL).toBeUndefined();

    const worker = JSON.stringify(bucketPolicyDocument("arn:aws:s3:::b", false));
    expect(worker).not.toContain("DeleteObject");
    expect(worker).not.toContain("ListBucket");
    expect(JSON.stringify(bucketPolicyDocument("arn:aws:s3:::b", true))).toContain("s3:DeleteObject");
    expect(
      mocks.ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => p.name.endsWith("blob-access")),
    ).toHaveLength(2);
  });
});
