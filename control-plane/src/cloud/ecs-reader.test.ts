import { DescribeServicesCommand, ECSClient } from "@aws-sdk/client-ecs";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import { createLogger } from "../logging/logger.js";
import { startRecordingEndpoint } from "../testing/recording-endpoint.js";
import { createEcsClient } from "./aws-clients.js";
import { EcsReader } from "./ecs-reader.js";

const log = createLogger("silent");

describe("EcsReader (aws-sdk-client-mock)", () => {
  it("reads running/desired counts once per cache period, single-flight", async () => {
    const client = new ECSClient({ region: "eu-west-1" });
    const mock = mockClient(client);
    mock
      .on(DescribeServicesCommand)
      .resolves({ services: [{ runningCount: 3, desiredCount: 5, pendingCount: 2 }] });
    let now = 0;
    const reader = new EcsReader({
      client,
      cluster: "c",
      service: "workers",
      cacheMs: 15_000,
      log,
      now: () => now,
    });
    const [a, b] = await Promise.all([reader.read(), reader.read()]);
    expect(a).toMatchObject({ runningCount: 3, desiredCount: 5, pendingCount: 2, stale: false });
    expect(b).toEqual(a);
    now = 10_000;
    await reader.read();
    expect(mock.commandCalls(DescribeServicesCommand)).toHaveLength(1);
    expect(mock.commandCalls(DescribeServicesCommand)[0]?.args[0].input).toEqual({
      cluster: "c",
      services: ["workers"],
    });
    now = 16_000;
    await reader.read();
    expect(mock.commandCalls(DescribeServicesCommand)).toHaveLength(2);
  });

  it("serves the last counts marked stale when AWS fails, and null before any success", async () => {
    const client = new ECSClient({ region: "eu-west-1" });
    const mock = mockClient(client);
    let now = 0;
    const reader = new EcsReader({ client, cluster: "c", service: "s", cacheMs: 1_000, log, now: () => now });
    mock.on(DescribeServicesCommand).rejects(new Error("AccessDenied"));
    expect(await reader.read()).toBeNull();
    mock
      .on(DescribeServicesCommand)
      .resolves({ services: [{ runningCount: 1, desiredCount: 1, pendingCount: 0 }] });
    now = 2_000;
    expect((await reader.read())?.stale).toBe(false);
    mock.on(DescribeServicesCommand).resolves({ services: [], failures: [{ reason: "MISSING" }] });
    now = 4_000;
    expect(await reader.read()).toMatchObject({ runningCount: 1, stale: true });
  });
});

describe("EcsReader (real SDK against a recording endpoint)", () => {
  it("sends DescribeServices and parses the reply", async () => {
    const endpoint = await startRecordingEndpoint(() => ({
      status: 200,
      headers: { "content-type": "application/x-amz-json-1.1" },
      body: JSON.stringify({
        services: [{ serviceName: "w", runningCount: 4, desiredCount: 6, pendingCount: 1 }],
        failures: [],
      }),
    }));
    try {
      const client = createEcsClient({
        region: "eu-west-1",
        endpoint: endpoint.url,
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
      });
      const reader = new EcsReader({ client, cluster: "rq", service: "w", cacheMs: 1_000, log });
      expect(await reader.read()).toMatchObject({
        cluster: "rq",
        service: "w",
        runningCount: 4,
        desiredCount: 6,
      });
      const request = endpoint.requests[0];
      expect(request?.headers["x-amz-target"]).toBe("AmazonEC2ContainerServiceV20141113.DescribeServices");
      expect(JSON.parse(request?.body ?? "{}")).toEqual({ cluster: "rq", services: ["w"] });
    } finally {
      await endpoint.close();
    }
  });
});
