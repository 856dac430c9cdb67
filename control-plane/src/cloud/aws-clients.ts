/**
 * AWS SDK clients for the control plane. `endpoint` points them elsewhere (a local
 * stack, or a test's recording server); credentials come from the default chain
 * (the ECS task role in production) unless given.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { ECSClient } from "@aws-sdk/client-ecs";

export interface AwsClientOptions {
  region: string;
  endpoint?: string | undefined;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

const common = (options: AwsClientOptions) => ({
  region: options.region,
  maxAttempts: 3,
  ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  ...(options.credentials ? { credentials: options.credentials } : {}),
});

export const createCloudWatchClient = (options: AwsClientOptions) => new CloudWatchClient(common(options));
export const createEcsClient = (options: AwsClientOptions) => new ECSClient(common(options));
