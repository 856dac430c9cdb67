/**
 * Task security groups: the identities of the control-plane and worker tasks on the network.
 *
 * They are created before Redis and the services because both sides need them: Redis admits
 * traffic only from these groups, and the services attach them to their tasks (awsvpc mode gives
 * every task its own ENI, so the rule follows the task, not the EC2 host it happens to run on).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface TaskSecurityGroupsArgs {
  vpcId: pulumi.Input<string>;
  namePrefix: string;
  tags?: Record<string, string>;
}

export class TaskSecurityGroups extends pulumi.ComponentResource {
  readonly controlPlane: aws.ec2.SecurityGroup;
  readonly worker: aws.ec2.SecurityGroup;

  constructor(name: string, args: TaskSecurityGroupsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rqueue:infra:TaskSecurityGroups", name, {}, opts);

    const group = (role: string, description: string) => {
      const sg = new aws.ec2.SecurityGroup(
        `${name}-${role}`,
        {
          vpcId: args.vpcId,
          description,
          tags: { ...args.tags, Name: `${args.namePrefix}-${role}` },
        },
        { parent: this },
      );
      // Outbound is open: tasks reach Redis, ECR, CloudWatch and SSM through the NAT gateways.
      // Rules are separate resources (never inline) so other components can add ingress safely.
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-${role}-egress`,
        { securityGroupId: sg.id, ipProtocol: "-1", cidrIpv4: "0.0.0.0/0", description: "All outbound" },
        { parent: this },
      );
      return sg;
    };

    // Ingress to the control plane (from its load balancer) is added by ControlPlaneService.
    this.controlPlane = group("control-plane", "R-queue control-plane tasks");
    // Workers only dial out: no ingress at all.
    this.worker = group("worker", "R-queue worker tasks");

    this.registerOutputs({ controlPlane: this.controlPlane.id, worker: this.worker.id });
  }
}
