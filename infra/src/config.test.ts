import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_SCALING_POLICY } from "@rqueue/shared";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { installPulumiMocks, value } from "./pulumi-mocks.js";

installPulumiMocks();
const { ConfigError, checkRedisPassword, loadConfig, validateConfig } = await import("./config.js");

const PASSWORD = "0123456789abcdef0123456789abcdef";
const AMI = "ami-0123456789abcdef0";
const CERT = "arn:aws:acm:us-east-1:123456789012:certificate/abc";

/** Loads an example stack file the way `pulumi up` would see it, plus the secrets it documents. */
function useStackFile(stack: "dev" | "prod") {
  const file = new URL(`../Pulumi.${stack}.yaml`, import.meta.url);
  const { config } = parse(readFileSync(file, "utf8")) as { config: Record<string, unknown> };
  const values: Record<string, string> = {
    ...Object.fromEntries(Object.entries(config).map(([k, v]) => [k, String(v)])),
    "rqueue:redisPassword": PASSWORD,
    "rqueue:apiKeys": "key-a,key-b",
    // Pinned by `make deploy` on a stack's first run (see lib.sh): not in the example files.
    "rqueue:redisAmi": AMI,
    // Each user's own choice (certificate, internal, or their ranges): not in the example files.
    "rqueue:certificateArn": CERT,
  };
  pulumi.runtime.setAllConfig(values, ["rqueue:redisPassword", "rqueue:apiKeys"]);
}

describe("example stack files", () => {
  it("dev: small and single-NAT, but a valid cluster", async () => {
    useStackFile("dev");
    const config = loadConfig();
    expect(config.namePrefix).toBe("rqueue-test");
    expect(config.region).toBe("eu-west-1");
    expect(config.network).toEqual({
      cidrBlock: "10.0.0.0/16",
      availabilityZones: 2,
      natStrategy: "Single",
      interfaceEndpoints: false,
    });
    // 3 masters + 3 replicas: losing one instance or its volume never stops the queue.
    expect(config.redis).toMatchObject({
      nodeCount: 6,
      replicasPerMaster: 1,
      instanceType: "t3.small",
      minReplicasToWrite: 1,
      ami: AMI,
    });
    expect(await value(config.redis.password)).toBe(PASSWORD);
    expect(await value(config.controlPlane.apiKeys)).toBe("key-a,key-b");
  });

  it("prod: an AZ-resilient layout", () => {
    useStackFile("prod");
    const config = loadConfig();
    expect(config.network.natStrategy).toBe("OnePerAz");
    expect(config.network.availabilityZones).toBe(3);
    expect(config.redis).toMatchObject({ nodeCount: 6, replicasPerMaster: 1 });
    expect(config.worker).toMatchObject({
      minCount: 1,
      maxCount: 10,
      stopTimeoutSeconds: 60,
      drainTimeoutMs: 25_000,
    });
  });
});

describe("defaults", () => {
  it("mirror the shared scaling policy and the worker's drain timeout", () => {
    pulumi.runtime.setAllConfig(
      {
        "aws:region": "us-east-1",
        "rqueue:redisPassword": PASSWORD,
        "rqueue:apiKeys": "k",
        "rqueue:redisAmi": AMI,
        "rqueue:certificateArn": CERT,
      },
      ["rqueue:redisPassword", "rqueue:apiKeys"],
    );
    const config = loadConfig();
    expect(config.worker.minCount).toBe(DEFAULT_SCALING_POLICY.min);
    expect(config.worker.maxCount).toBe(DEFAULT_SCALING_POLICY.max);
    expect(config.autoscaling.targetDrainSeconds).toBe(DEFAULT_SCALING_POLICY.targetDrainSeconds);
    expect(config.autoscaling.fallbackJobSeconds).toBe(DEFAULT_SCALING_POLICY.fallbackJobSeconds);
    expect(config.worker.drainTimeoutMs).toBe(25_000);
    expect(config.worker.stopTimeoutSeconds * 1000).toBeGreaterThan(config.worker.drainTimeoutMs);
    expect(config.redis).toMatchObject({ nodeCount: 6, replicasPerMaster: 1 });
    expect(config.network.natStrategy).toBe("OnePerAz");
    expect(config.worker.queues).toEqual([{ name: "default", weight: 1 }]);
  });

  it("require the secrets and the AMI", () => {
    pulumi.runtime.setAllConfig({ "aws:region": "us-east-1", "rqueue:redisAmi": AMI });
    expect(() => loadConfig()).toThrow(/redisPassword/);
    pulumi.runtime.setAllConfig(
      { "aws:region": "us-east-1", "rqueue:redisPassword": PASSWORD, "rqueue:apiKeys": "k" },
      ["rqueue:redisPassword", "rqueue:apiKeys"],
    );
    expect(() => loadConfig()).toThrow(/redisAmi/);
  });

  it("rolls only the node RQ_ROLL_REDIS_NODE names, and only a real one", () => {
    pulumi.runtime.setAllConfig(
      {
        "aws:region": "us-east-1",
        "rqueue:redisPassword": PASSWORD,
        "rqueue:apiKeys": "k",
        "rqueue:redisAmi": AMI,
        "rqueue:certificateArn": CERT,
      },
      ["rqueue:redisPassword", "rqueue:apiKeys"],
    );
    expect(loadConfig({}).redis.rollingNode).toBeUndefined();
    expect(loadConfig({ RQ_ROLL_REDIS_NODE: "4" }).redis.rollingNode).toBe(4);
    expect(() => loadConfig({ RQ_ROLL_REDIS_NODE: "6" })).toThrow(
      /RQ_ROLL_REDIS_NODE must name a node from 0 to 5/,
    );
  });
});

describe("validateConfig", () => {
  const valid = () => {
    pulumi.runtime.setAllConfig(
      {
        "aws:region": "us-east-1",
        "rqueue:redisPassword": PASSWORD,
        "rqueue:apiKeys": "k",
        "rqueue:redisAmi": AMI,
        "rqueue:certificateArn": CERT,
      },
      ["rqueue:redisPassword", "rqueue:apiKeys"],
    );
    return loadConfig();
  };

  it.each([
    [
      "a stop timeout not above the drain",
      (c: ReturnType<typeof valid>) => (c.worker.stopTimeoutSeconds = 25),
      /workerStopTimeoutSeconds/,
    ],
    [
      "a stop timeout above ECS's maximum",
      (c: ReturnType<typeof valid>) => (c.worker.stopTimeoutSeconds = 121),
      /at most 120/,
    ],
    ["fewer than 3 masters", (c: ReturnType<typeof valid>) => (c.redis.nodeCount = 4), /redisNodeCount/],
    ["nodes not in whole shards", (c: ReturnType<typeof valid>) => (c.redis.nodeCount = 7), /multiple/],
    ["one AZ", (c: ReturnType<typeof valid>) => (c.network.availabilityZones = 1), /availabilityZones/],
    [
      "an unknown NAT strategy",
      (c: ReturnType<typeof valid>) => (c.network.natStrategy = "None" as never),
      /natStrategy/,
    ],
    ["zero minimum workers", (c: ReturnType<typeof valid>) => (c.worker.minCount = 0), /workerMinCount/],
    ["max below min", (c: ReturnType<typeof valid>) => (c.worker.maxCount = 0), /workerM/],
    ["no queues", (c: ReturnType<typeof valid>) => (c.worker.queues = []), /workerQueues/],
    [
      "an internet-facing HTTP load balancer open to all",
      (c: ReturnType<typeof valid>) => (c.controlPlane.certificateArn = undefined),
      /an internet-facing load balancer must serve HTTPS/,
    ],
    [
      "a bad CIDR",
      (c: ReturnType<typeof valid>) => (c.controlPlane.access.allowedCidrs = ["10.0.0.0/8", "office"]),
      /"office" is not an IPv4 CIDR/,
    ],
  ])("rejects %s", (_label, mutate, message) => {
    const config = valid();
    mutate(config);
    expect(() => validateConfig(config)).toThrow(ConfigError);
    expect(() => validateConfig(config)).toThrow(message);
  });

  it("parses weighted queues once, so a weight never becomes a metric dimension", () => {
    pulumi.runtime.setAllConfig(
      {
        "aws:region": "us-east-1",
        "rqueue:redisPassword": PASSWORD,
        "rqueue:apiKeys": "k",
        "rqueue:redisAmi": AMI,
        "rqueue:certificateArn": CERT,
        "rqueue:workerQueues": "emails:3, default",
      },
      ["rqueue:redisPassword", "rqueue:apiKeys"],
    );
    expect(loadConfig().worker.queues).toEqual([
      { name: "emails", weight: 3 },
      { name: "default", weight: 1 },
    ]);
    pulumi.runtime.setAllConfig(
      {
        "aws:region": "us-east-1",
        "rqueue:redisPassword": PASSWORD,
        "rqueue:apiKeys": "k",
        "rqueue:redisAmi": AMI,
        "rqueue:certificateArn": CERT,
        "rqueue:workerQueues": "e mails",
      },
      ["rqueue:redisPassword", "rqueue:apiKeys"],
    );
    expect(() => loadConfig()).toThrow(/rqueue:workerQueues: "e mails" is not <queue>/);
  });

  it("accepts HTTP on an internal load balancer, or one limited to the user's ranges", () => {
    const internal = valid();
    internal.controlPlane.certificateArn = undefined;
    internal.controlPlane.access.internal = true;
    expect(() => validateConfig(internal)).not.toThrow();
    const limited = valid();
    limited.controlPlane.certificateArn = undefined;
    limited.controlPlane.access.allowedCidrs = ["198.51.100.0/24"];
    expect(() => validateConfig(limited)).not.toThrow();
  });

  it("rejects Redis passwords that are short or unsafe in redis.conf", () => {
    expect(() => checkRedisPassword("short")).toThrow(/redisPassword/);
    expect(() => checkRedisPassword('has "quotes" and spaces 1234567')).toThrow(ConfigError);
    expect(checkRedisPassword(PASSWORD)).toBe(PASSWORD);
  });
});
