/**
 * Application secrets: the Redis password and the API keys, stored as SSM Parameter Store
 * SecureStrings. Tasks receive them through the task definition's `secrets` (resolved by the ECS
 * agent at launch with the execution role) and Redis nodes fetch the password at boot with their
 * instance role, so the values never appear in a task definition or in EC2 user-data (both readable
 * by anyone with Describe permissions).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface AppSecretsArgs {
  namePrefix: string;
  redisPassword: pulumi.Input<string>;
  apiKeys: pulumi.Input<string>;
  tags?: Record<string, string>;
}

export class AppSecrets extends pulumi.ComponentResource {
  readonly redisPassword: aws.ssm.Parameter;
  readonly apiKeys: aws.ssm.Parameter;

  constructor(name: string, args: AppSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rqueue:infra:AppSecrets", name, {}, opts);

    const secureString = (key: string, value: pulumi.Input<string>, description: string) =>
      new aws.ssm.Parameter(
        `${name}-${key}`,
        {
          name: `/${args.namePrefix}/${key}`,
          type: "SecureString",
          description,
          // Marked secret again so the value stays encrypted in Pulumi state whatever the caller passed.
          value: pulumi.secret(value),
          tags: args.tags ?? {},
        },
        { parent: this },
      );

    this.redisPassword = secureString(
      "redis-password",
      args.redisPassword,
      "R-queue Redis requirepass/masterauth",
    );
    this.apiKeys = secureString("api-keys", args.apiKeys, "R-queue control-plane API keys (comma-separated)");

    this.registerOutputs({ redisPassword: this.redisPassword.arn, apiKeys: this.apiKeys.arn });
  }
}
