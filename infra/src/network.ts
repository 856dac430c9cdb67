/**
 * Network: the VPC every other component lives in — public subnets for the load balancer and NAT
 * gateways, private subnets (egress through NAT only) for ECS hosts, tasks and Redis nodes.
 */
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import type { NatStrategy } from "./config.js";

export interface NetworkArgs {
  cidrBlock: string;
  /** 2 is cheaper; 3 lets a Redis master and its replica survive any single-AZ outage with a quorum. */
  availabilityZones: number;
  /** "OnePerAz" keeps private subnets online when one AZ fails; "Single" saves ~$32/month per gateway. */
  natStrategy: NatStrategy;
  tags?: Record<string, string>;
}

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
    this.registerOutputs({
      vpcId: this.vpcId,
      privateSubnetIds: this.privateSubnetIds,
      publicSubnetIds: this.publicSubnetIds,
    });
  }
}
