/**
 * Test support (not part of the deployed program): Pulumi mocks that record every resource the
 * program registers and return the provider-computed outputs the program reads (ARNs, IDs, IPs).
 *
 * awsx components are remote components: under mocks only the component itself is registered, so
 * its outputs (vpcId, subnet IDs, imageUri) must come from here (pulumi/pulumi#12553).
 * Call `installPulumiMocks()` before importing any module that creates resources.
 */
import * as pulumi from "@pulumi/pulumi";

export const ACCOUNT_ID = "123456789012";
export const REGION = "eu-west-1";
export const PRIVATE_SUBNET_IDS = ["subnet-private-a", "subnet-private-b", "subnet-private-c"];
export const PUBLIC_SUBNET_IDS = ["subnet-public-a", "subnet-public-b", "subnet-public-c"];
export const VPC_ID = "vpc-0mock";
export const MOCK_AMI = "ami-0123456789abcdef0";

export interface RecordedResource {
  type: string;
  name: string;
  id: string;
  inputs: Record<string, unknown>;
  state: Record<string, unknown>;
}

export interface MockRecorder {
  resources: RecordedResource[];
  ofType(type: string): RecordedResource[];
  /** The single resource of this type whose logical name is `name`; throws otherwise. */
  named(type: string, name: string): RecordedResource;
}

const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT_ID}:${resource}`;

function computed(type: string, name: string, inputs: Record<string, unknown>, seq: number) {
  const physical = typeof inputs.name === "string" ? inputs.name : `${name}-physical`;
  switch (type) {
    case "awsx:ec2:Vpc": {
      // As AWS would: one subnet of each kind per AZ asked for.
      const azs = Number(inputs.numberOfAvailabilityZones ?? 3);
      return {
        id: VPC_ID,
        state: {
          vpcId: VPC_ID,
          privateSubnetIds: PRIVATE_SUBNET_IDS.slice(0, azs),
          publicSubnetIds: PUBLIC_SUBNET_IDS.slice(0, azs),
        },
      };
    }
    case "aws:lb/listener:Listener":
      // ELB refuses an HTTPS listener without a certificate (CertificateNotFound / ValidationError).
      if (inputs.protocol === "HTTPS" && !inputs.certificateArn) {
        throw new Error("ValidationError: A certificate must be specified for HTTPS listeners");
      }
      return { id: `${name}-id`, state: { arn: arn("elasticloadbalancing", `listener/${name}`) } };
    case "aws:ebs/volume:Volume":
      return { id: `vol-0${String(seq).padStart(16, "0")}`, state: { arn: arn("ec2", `volume/${name}`) } };
    case "awsx:ecr:Image":
      return {
        id: `${name}-image`,
        state: { imageUri: `${String(inputs.repositoryUrl)}@sha256:${"ab".repeat(32)}` },
      };
    case "aws:ecr/repository:Repository":
      return {
        id: physical,
        state: {
          arn: arn("ecr", `repository/${physical}`),
          repositoryUrl: `${ACCOUNT_ID}.dkr.ecr.${REGION}.amazonaws.com/${physical}`,
        },
      };
    case "aws:ec2/networkInterface:NetworkInterface":
      return { id: `eni-${seq}`, state: { privateIp: `10.0.${seq}.10` } };
    case "aws:ec2/securityGroup:SecurityGroup":
      return { id: `sg-${name}`, state: { arn: arn("ec2", `security-group/sg-${name}`) } };
    case "aws:ec2/instance:Instance":
      return { id: `i-${name}`, state: { arn: arn("ec2", `instance/i-${name}`) } };
    case "aws:ssm/parameter:Parameter":
      return { id: physical, state: { arn: arn("ssm", `parameter${physical}`) } };
    case "aws:cloudwatch/logGroup:LogGroup":
      return { id: physical, state: { arn: arn("logs", `log-group:${physical}`) } };
    case "aws:ecs/cluster:Cluster":
      return { id: arn("ecs", `cluster/${physical}`), state: { arn: arn("ecs", `cluster/${physical}`) } };
    case "aws:ecs/service:Service":
      return { id: arn("ecs", `service/${physical}`), state: {} };
    case "aws:lb/loadBalancer:LoadBalancer":
      return {
        id: arn("elasticloadbalancing", `loadbalancer/app/${name}/1`),
        state: {
          arn: arn("elasticloadbalancing", `loadbalancer/app/${name}/1`),
          arnSuffix: `app/${name}/1`,
          dnsName: `${name}-1.${REGION}.elb.amazonaws.com`,
        },
      };
    case "aws:lb/targetGroup:TargetGroup":
      return {
        id: arn("elasticloadbalancing", `targetgroup/${name}/1`),
        state: {
          arn: arn("elasticloadbalancing", `targetgroup/${name}/1`),
          arnSuffix: `targetgroup/${name}/1`,
        },
      };
    default:
      return { id: `${name}-id`, state: { arn: arn("mock", `${type}/${name}`) } };
  }
}

export function installPulumiMocks(): MockRecorder {
  const resources: RecordedResource[] = [];
  let seq = 0;
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        seq += 1;
        const { id, state } = computed(args.type, args.name, args.inputs, seq);
        const merged = { name: args.name, ...args.inputs, ...state };
        resources.push({ type: args.type, name: args.name, id, inputs: args.inputs, state: merged });
        return { id, state: merged };
      },
      call(args) {
        switch (args.token) {
          case "aws:index/getCallerIdentity:getCallerIdentity":
            return {
              accountId: ACCOUNT_ID,
              arn: `arn:aws:iam::${ACCOUNT_ID}:user/deployer`,
              userId: "AIDAMOCK",
              id: ACCOUNT_ID,
            };
          case "aws:ssm/getParameter:getParameter":
            return { name: args.inputs.name, value: MOCK_AMI, type: "String", id: args.inputs.name };
          case "aws:ec2/getRouteTables:getRouteTables": {
            const subnets = ((args.inputs.filters ?? []) as { values: string[] }[]).flatMap((f) => f.values);
            return {
              ids: subnets.map((id) => id.replace("subnet-", "rtb-")),
              vpcId: args.inputs.vpcId,
              id: "rt",
            };
          }
          case "aws:ec2/getSubnet:getSubnet": {
            const index = [...PRIVATE_SUBNET_IDS, ...PUBLIC_SUBNET_IDS].indexOf(String(args.inputs.id)) % 3;
            if (index < 0) throw new Error(`InvalidSubnetID.NotFound: ${String(args.inputs.id)}`);
            return { id: args.inputs.id, availabilityZone: `${REGION}${"abc"[index]}` };
          }
          default:
            return args.inputs;
        }
      },
    },
    "rqueue",
    "test",
    false,
  );
  return {
    resources,
    ofType: (type) => resources.filter((r) => r.type === type),
    named(type, name) {
      const found = resources.filter((r) => r.type === type && r.name === name);
      if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
      return found[0] as RecordedResource;
    },
  };
}

/** The value of an Output (mocks never run a preview, so every apply runs). */
export const value = <T>(output: pulumi.Output<T>): Promise<T> =>
  new Promise((resolve) => output.apply(resolve));

/** Waits until every pending registration (including ones started from applies) has reached the mocks. */
export async function settle(): Promise<void> {
  const internal = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
  await internal.waitForRPCs?.();
  // A final pass in case a registration was queued from the last callback.
  await new Promise((resolve) => setTimeout(resolve, 10));
  await internal.waitForRPCs?.();
}
