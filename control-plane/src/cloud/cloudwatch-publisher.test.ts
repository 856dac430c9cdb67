import { CloudWatchClient, type MetricDatum, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import {
  createRedis,
  DEFAULT_SCALING_POLICY,
  METRIC_NAMES,
  METRIC_NAMESPACE,
  METRIC_QUEUE_DIMENSION,
  METRIC_SERVICE_DIMENSION,
  Queue,
  type RedisClient,
  SCALING_METRIC_NAMES,
} from "@rqueue/shared";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createLogger } from "../logging/logger.js";
import { QueueRegistry } from "../queues/queue-registry.js";
import { startRecordingEndpoint } from "../testing/recording-endpoint.js";
import { uniqueQueue } from "../testing/test-app.js";
import { createCloudWatchClient } from "./aws-clients.js";
import { collectCloudMetrics } from "./cloud-metrics.js";
import { CloudWatchPublisher } from "./cloudwatch-publisher.js";
import { LeaderLease } from "./leader-lease.js";
import { queueMetricData } from "./queue-metrics.js";
import { ScalingSignal } from "./scaling-signal.js";

const log = createLogger("silent");
let redis: RedisClient;
beforeAll(() => {
  redis = createRedis(inject("redisUrl"));
});
afterAll(() => redis.disconnect());

const values = (queue: string, backlog: number): MetricDatum[] =>
  queueMetricData(
    [
      {
        queue,
        load: { backlog, processing: 1, jobSeconds: 0.5 },
        values: {
          [METRIC_NAMES.backlog]: backlog,
          [METRIC_NAMES.processingJobs]: 1,
          [METRIC_NAMES.jobRunSeconds]: 0.5,
          [METRIC_NAMES.oldestPendingAgeSeconds]: 3.5,
          [METRIC_NAMES.deadLettered]: 0,
          [METRIC_NAMES.healthyWorkers]: 2,
        },
      },
    ],
    new Date(0),
  );

function publisher(
  client: CloudWatchClient,
  collect: (timestamp: Date) => Promise<MetricDatum[]>,
  key = uniqueQueue("cw"),
) {
  return new CloudWatchPublisher({
    client,
    lease: new LeaderLease(redis, `test:${key}`, 10_000),
    collect,
    intervalMs: 60_000,
    log,
  });
}

describe("CloudWatchPublisher (aws-sdk-client-mock)", () => {
  it("publishes every metric per queue under the shared namespace and dimension", async () => {
    const client = new CloudWatchClient({ region: "eu-west-1" });
    const mock = mockClient(client);
    mock.on(PutMetricDataCommand).resolves({});
    expect(
      await publisher(client, async () => [...values("emails", 10), ...values("reports", 4)]).tick(),
    ).toBe("published");
    const calls = mock.commandCalls(PutMetricDataCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input?.Namespace).toBe(METRIC_NAMESPACE);
    expect(input?.MetricData).toHaveLength(12);
    expect(input?.MetricData).toContainEqual(
      expect.objectContaining({
        MetricName: METRIC_NAMES.backlog,
        Dimensions: [{ Name: METRIC_QUEUE_DIMENSION, Value: "emails" }],
        Value: 10,
        Unit: "Count",
      }),
    );
    expect(input?.MetricData).toContainEqual(
      expect.objectContaining({
        MetricName: METRIC_NAMES.oldestPendingAgeSeconds,
        Value: 3.5,
        Unit: "Seconds",
      }),
    );
  });

  it("only the lease holder publishes", async () => {
    const client = new CloudWatchClient({ region: "eu-west-1" });
    const mock = mockClient(client);
    mock.on(PutMetricDataCommand).resolves({});
    const key = uniqueQueue("cw");
    const first = publisher(client, async () => values("q", 1), key);
    const second = publisher(client, async () => values("q", 1), key);
    const results = await Promise.all([first.tick(), second.tick()]);
    expect(results.sort()).toEqual(["not-leader", "published"]);
    expect(mock.commandCalls(PutMetricDataCommand)).toHaveLength(1);
    await Promise.all([first.stop(), second.stop()]);
  });

  it("keeps unsent datapoints after a failure and sends them with the next tick", async () => {
    const client = new CloudWatchClient({ region: "eu-west-1" });
    const mock = mockClient(client);
    mock.on(PutMetricDataCommand).rejectsOnce(new Error("Throttling")).resolves({});
    let backlog = 1;
    const p = publisher(client, async () => values("q", backlog++));
    expect(await p.tick()).toBe("failed");
    expect(await p.tick()).toBe("published");
    const sent = mock.commandCalls(PutMetricDataCommand).at(-1)?.args[0].input.MetricData ?? [];
    const backlogs = sent.filter((d) => d.MetricName === METRIC_NAMES.backlog).map((d) => d.Value);
    expect(backlogs).toEqual([1, 2]);
  });

  it("survives a failing collector", async () => {
    const client = new CloudWatchClient({ region: "eu-west-1" });
    mockClient(client);
    expect(await publisher(client, () => Promise.reject(new Error("redis down"))).tick()).toBe("failed");
  });
});

describe("CloudWatchPublisher (real SDK against a recording endpoint)", () => {
  it("sends zeros for a configured queue before its first job, and the figures of one with jobs", async () => {
    const endpoint = await startRecordingEndpoint(() => ({
      status: 200,
      headers: { "content-type": "application/x-amz-json-1.0" },
      body: "{}",
    }));
    try {
      const busy = uniqueQueue("cw-real");
      const idle = uniqueQueue("cw-idle");
      await new Queue({ redis, name: busy }).addBulk([{ type: "a" }, { type: "a" }, { type: "b" }]);
      const registry = new QueueRegistry(redis);
      const client = createCloudWatchClient({
        region: "eu-west-1",
        endpoint: endpoint.url,
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
      });
      const fleet = { service: "rq-worker", queues: [busy, idle], slots: 10, policy: DEFAULT_SCALING_POLICY };
      const sources = {
        redis,
        registry,
        configuredQueues: fleet.queues,
        signal: new ScalingSignal(fleet, null, 60_000),
        log,
      };
      const collect = async (timestamp: Date) =>
        (await collectCloudMetrics(sources, timestamp)).filter((datum) =>
          datum.Dimensions?.some((d) => [busy, idle, "rq-worker"].includes(d.Value ?? "")),
        );
      expect(await publisher(client, collect).tick()).toBe("published");

      expect(endpoint.requests).toHaveLength(1);
      const request = endpoint.requests[0];
      expect(request?.headers["x-amz-target"]).toBe("GraniteServiceVersion20100801.PutMetricData");
      expect(request?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=test\//);
      const body = JSON.parse(request?.body ?? "{}") as {
        Namespace: string;
        MetricData: { MetricName: string; Dimensions: { Name: string; Value: string }[]; Value: number }[];
      };
      expect(body.Namespace).toBe(METRIC_NAMESPACE);
      const of = (dimension: string) =>
        Object.fromEntries(
          body.MetricData.filter((d) => d.Dimensions[0]?.Value === dimension).map((d) => [
            d.MetricName,
            d.Value,
          ]),
        );
      // No job has finished: the run time is unknown, so it is left out rather than sent as 0.
      expect(of(busy)).toEqual({
        [METRIC_NAMES.backlog]: 3,
        [METRIC_NAMES.processingJobs]: 0,
        [METRIC_NAMES.oldestPendingAgeSeconds]: expect.any(Number),
        [METRIC_NAMES.deadLettered]: 0,
        [METRIC_NAMES.healthyWorkers]: 0,
      });
      expect(of(idle)).toEqual({
        [METRIC_NAMES.backlog]: 0,
        [METRIC_NAMES.processingJobs]: 0,
        [METRIC_NAMES.oldestPendingAgeSeconds]: 0,
        [METRIC_NAMES.deadLettered]: 0,
        [METRIC_NAMES.healthyWorkers]: 0,
      });
      const scaling = body.MetricData.filter((d) => d.Dimensions[0]?.Name === METRIC_SERVICE_DIMENSION);
      expect(scaling.map((d) => [d.MetricName, d.Dimensions[0]?.Value, d.Value])).toEqual([
        [SCALING_METRIC_NAMES.desiredWorkers, "rq-worker", 1],
        [SCALING_METRIC_NAMES.workerTasks, "rq-worker", 0],
      ]);
    } finally {
      await endpoint.close();
    }
  });
});
