/**
 * Network: the VPC every other component lives in — public subnets for the load balancer and NAT
 * gateways, private subnets (egress through NAT only) for ECS hosts, tasks and Redis nodes — and
 * the VPC endpoints that keep image pulls, logs, metrics and Session Manager off the NAT
 * gateways, whose data charge ($0.045/GB) would otherwise meter every layer of every image pull.
 */
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import type { NatStrategy } from "./config.js";

export interface NetworkArgs {
  cidrBlock: string;
  /** 2 is cheaper; 3 lets a Redis master and its replica survive any single-AZ outage with a quorum. */
  availabilityZones: number;
  /** "OnePerAz" keeps private subnets online when one AZ fails; "Single" saves ~$32/month per gateway. */
  natStrategy: NatStrategy;
  /** Interface endpoints (ECR, CloudWatch, SSM): ~$7.30/month each per AZ; the S3 gateway is free. */
  interfaceEndpoints: boolean;
  region: string;
  tags?: Record<string, string>;
}

/**
 * Interface endpoints in the private subnets: ECR's API and registry (image pulls), CloudWatch
 * Logs and metrics (task logs, PutMetricData), SSM with Session Manager's channels (secrets at task
 * start, the Redis password at boot, shell access to the nodes).
 */
export const INTERFACE_ENDPOINT_SERVICES = [
  "ecr.api",
  "ecr.dkr",
  "logs",
  "monitoring",
  "ssm",
  "ssmmessages",
  "ec2messages",
] as const;

export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly privateSubnetIds: pulumi.Output<string[]>;
  readonly publicSubnetIds: pulumi.Output<string[]>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rqueue:infra:Network", name, {}, opts);

    const vpc = new awsx.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock: args.cidrBlock,
        numberOfAvailabilityZones: args.availabilityZones,
        // Redis nodes are addressed by private IP, but ECS and SSM endpoints need DNS hostnames.
        enableDnsHostnames: true,
        enableDnsSupport: true,
        subnetStrategy: "Auto",
        subnetSpecs: [
          // Small public subnets: they only hold the ALB and the NAT gateways.
          { type: "Public", cidrMask: 24 },
          // Large private subnets: awsvpc tasks take one IP each, plus hosts and Redis nodes.
          { type: "Private", cidrMask: 20 },
        ],
        natGateways: { strategy: args.natStrategy },
        tags: args.tags ?? {},
      },
      { parent: this },
    );

    this.vpcId = vpc.vpcId;
    this.privateSubnetIds = vpc.privateSubnetIds;
    this.publicSubnetIds = vpc.publicSubnetIds;
    const tags = args.tags ?? {};

    // S3 gateway: ECR stores image layers in S3, so pulls go through it; gateway endpoints are free.
    const privateRouteTables = aws.ec2.getRouteTablesOutput(
      { vpcId: this.vpcId, filters: [{ name: "association.subnet-id", values: this.privateSubnetIds }] },
      { parent: this },
    );
    new aws.ec2.VpcEndpoint(
      `${name}-s3`,
      {
        vpcId: this.vpcId,
        serviceName: `com.amazonaws.${args.region}.s3`,
        vpcEndpointType: "Gateway",
        routeTableIds: privateRouteTables.ids,
        tags: { ...tags, Name: `${name}-s3` },
      },
      { parent: this },
    );
    if (args.interfaceEndpoints) {
      const endpointSg = new aws.ec2.SecurityGroup(
        `${name}-endpoints-sg`,
        {
          vpcId: this.vpcId,
          description: "R-queue VPC interface endpoints",
          tags: { ...tags, Name: `${name}-endpoints` },
        },
        { parent: this },
      );
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-endpoints-https`,
        {
          securityGroupId: endpointSg.id,
          cidrIpv4: args.cidrBlock,
          ipProtocol: "tcp",
          fromPort: 443,
          toPort: 443,
          description: "HTTPS from inside the VPC",
        },
        { parent: this },
      );
      for (const service of INTERFACE_ENDPOINT_SERVICES) {
        new aws.ec2.VpcEndpoint(
          `${name}-${service.replace(".", "-")}`,
          {
            vpcId: this.vpcId,
            serviceName: `com.amazonaws.${args.region}.${service}`,
            vpcEndpointType: "Interface",
            privateDnsEnabled: true,
            subnetIds: this.privateSubnetIds,
            securityGroupIds: [endpointSg.id],
            tags: { ...tags, Name: `${name}-${service}` },
          },
          { parent: this },
        );
      }
    }
    this.registerOutputs({
      vpcId: this.vpcId,
      privateSubnetIds: this.privateSubnetIds,
      publicSubnetIds: this.publicSubnetIds,
    });
  }
}
