import { DescribeServicesCommand, ECSClient } from "@aws-sdk/client-ecs";
import { DEFAULT_SCALING_POLICY, type QueueLoad } from "@rqueue/shared";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import { createLogger } from "../logging/logger.js";
import { EcsReader } from "./ecs-reader.js";
import { ScalingSignal, scalingMetricData } from "./scaling-signal.js";

const log = createLogger("silent");
const fleet = {
  service: "rq-worker",
  queues: ["emails", "default"],
  slots: 10,
  policy: DEFAULT_SCALING_POLICY,
};
const loads = (emails: QueueLoad, other: QueueLoad = { backlog: 0, processing: 0, jobSeconds: null }) =>
  new Map([
    ["emails", emails],
    ["default", other],
    // Not the fleet's queue: no worker of this service takes its jobs.
    ["reports", { backlog: 1_000_000, processing: 0, jobSeconds: 5 }],
  ]);

function ecsWith(counts: { desiredCount: number; runningCount: number } | Error) {
  const client = new ECSClient({ region: "eu-west-1" });
  const mock = mockClient(client);
  if (counts instanceof Error) mock.on(DescribeServicesCommand).rejects(counts);
  else mock.on(DescribeServicesCommand).resolves({ services: [{ ...counts, pendingCount: 0 }] });
  return { reader: new EcsReader({ client, cluster: "c", service: "rq-worker", cacheMs: 0, log }), mock };
}

describe("ScalingSignal", () => {
  it("decides from ECS's task count with the shared policy and publishes the raw counts", async () => {
    const { reader } = ecsWith({ desiredCount: 2, runningCount: 1 });
    const signal = new ScalingSignal(fleet, reader, 60_000);
    // 3,000 jobs of 1 s on 10 slots: ten workers' 30 s.
    const sample = await signal.sample(loads({ backlog: 2_990, processing: 10, jobSeconds: 1 }), 1, 0);
    expect(sample).toMatchObject({ service: "rq-worker", desired: 10, workerTasks: 2, runningTasks: 1 });
    const data = scalingMetricData(sample as NonNullable<typeof sample>, new Date(0));
    expect(data.map((d) => [d.MetricName, d.Value, d.Dimensions])).toEqual([
      ["DesiredWorkers", 10, [{ Name: "Service", Value: "rq-worker" }]],
      ["WorkerTasks", 2, [{ Name: "Service", Value: "rq-worker" }]],
      ["RunningWorkerTasks", 1, [{ Name: "Service", Value: "rq-worker" }]],
    ]);
  });

  it("keeps asking for the pool it decided while ECS catches up, through the scale-in cooldown", async () => {
    const { reader, mock } = ecsWith({ desiredCount: 6, runningCount: 6 });
    const signal = new ScalingSignal(fleet, reader, 60_000);
    const idle = loads({ backlog: 0, processing: 0, jobSeconds: 1 });
    expect((await signal.sample(idle, 6, 0))?.desired).toBe(1);
    // ECS has not applied it yet: the decision stands instead of reverting to 6.
    expect((await signal.sample(idle, 6, 10_000))?.desired).toBe(1);
    // A burst right after the scale-in: scale-out is never held by the scale-in cooldown.
    const burst = loads({ backlog: 890, processing: 10, jobSeconds: 1 });
    expect((await signal.sample(burst, 6, 20_000))?.desired).toBe(4);
    mock.on(DescribeServicesCommand).resolves({ services: [{ desiredCount: 4, runningCount: 4 }] });
    expect((await signal.sample(burst, 4, 30_000))?.desired).toBe(4);
  });

  it("forgets an old decision (another replica led meanwhile) and starts from ECS's count", async () => {
    const { reader, mock } = ecsWith({ desiredCount: 3, runningCount: 3 });
    const signal = new ScalingSignal(fleet, reader, 60_000);
    const steady = loads({ backlog: 600, processing: 30, jobSeconds: 1 });
    expect((await signal.sample(steady, 3, 0))?.desired).toBe(3);
    mock.on(DescribeServicesCommand).resolves({ services: [{ desiredCount: 5, runningCount: 5 }] });
    // Within the hysteresis band for 5 workers: holds 5, not the 3 it asked for an hour ago.
    const busier = loads({ backlog: 1_070, processing: 30, jobSeconds: 1 });
    expect((await signal.sample(busier, 5, 3_600_000))?.desired).toBe(5);
  });

  it("publishes no decision when ECS's counts are unknown", async () => {
    const { reader } = ecsWith(new Error("AccessDenied"));
    const signal = new ScalingSignal(fleet, reader, 60_000);
    expect(await signal.sample(loads({ backlog: 5, processing: 0, jobSeconds: 1 }), 1, 0)).toBeNull();
  });

  it("without ECS, starts from the healthy workers", async () => {
    const signal = new ScalingSignal(fleet, null, 60_000);
    const sample = await signal.sample(loads({ backlog: 0, processing: 0, jobSeconds: null }), 4, 0);
    expect(sample).toMatchObject({ desired: 1, workerTasks: 4, runningTasks: null });
  });
});
