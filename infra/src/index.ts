/**
 * Pulumi entry point (Pulumi.yaml `main`): reads the selected stack's configuration, builds the
 * system and exports the stack outputs. All wiring lives in stack.ts, all resources in components.
 */
import { loadArchiveConfig } from "./archive.js";
import { loadConfig } from "./config.js";
import { createStack } from "./stack.js";

const { outputs } = createStack(loadConfig(), loadArchiveConfig());

export const apiUrl = outputs.apiUrl;
export const dashboardUrl = outputs.dashboardUrl;
export const redisEndpoints = outputs.redisEndpoints;
export const ecsClusterName = outputs.ecsClusterName;
export const controlPlaneServiceName = outputs.controlPlaneServiceName;
export const workerServiceName = outputs.workerServiceName;
export const vpcId = outputs.vpcId;
export const controlPlaneImage = outputs.controlPlaneImage;
export const workerImage = outputs.workerImage;
export const alarmTopicArn = outputs.alarmTopicArn;
