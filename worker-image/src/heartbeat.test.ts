/**
 * Worker health: the registry snapshot (with the ECS task ARN from a local
 * stand-in for the task metadata endpoint), the health file the container
 * HEALTHCHECK reads, staleness, and deregistration on stop.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  createRedis,
  currentLibraryNames,
  LIBRARIES_SEEN_KEY,
  listWorkers,
  type RedisClient,
} from "@rqueue/shared";
import { describe, expect, inject, it } from "vitest";
import { eventually, sleep, useRedis } from "../../shared/test/engine-fixture.js";
import { scratchDirs } from "../../shared/test/scratch-dirs.js";
import { Heartbeat, isHealthy } from "./heartbeat.js";
import { startHttpRecorder } from "./testing/http-recorder.js";
import { waitFor } from "./testing/wait.js";

const scratch = scratchDirs();

const TASK_ARN = "arn:aws:ecs:eu-west-1:123456789012:task/rqueue/0123456789abcdef";

describe("heartbeat", () => {
  const redis = useRedis(inject("redisUrl"));
  const setup = (overrides: { ecsMetadataUri?: string; redis?: RedisClient } = {}) => {
    const errors: string[] = [];
    const healthFile = join(scratch("rq-hb-"), "health");
    const workerId = `hb-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const heartbeat = new Heartbeat({
      redis: redis(),
      workerId,
      version: "9.9.9",
      queues: ["default", "emails"],
      concurrency: 8,
      heartbeatMs: 100,
      healthFile,
      counters: () => ({ activeJobs: 3, processed: 42, failed: 2 }),
      onError: (_error, during) => errors.push(during),
      ...overrides,
    });
    const entry = async () => (await listWorkers(redis())).find((worker) => worker.id === workerId);
    return { heartbeat, healthFile, errors, entry };
  };

  it("registers a snapshot with the ECS task ARN and keeps it fresh, then deregisters", async () => {
    const metadata = await startHttpRecorder();
    metadata.respond(200, { TaskARN: TASK_ARN, Family: "rqueue-worker" });
    const { heartbeat, healthFile, entry } = setup({ ecsMetadataUri: metadata.url });
    await heartbeat.start();
    const registered = await waitFor(entry);
    expect(metadata.requests).toEqual([{ method: "GET", path: "/task", body: undefined }]);
    expect(registered).toMatchObject({
      status: "healthy",
      taskArn: TASK_ARN,
      pid: process.pid,
      version: "9.9.9",
      queues: ["default", "emails"],
      concurrency: 8,
      activeJobs: 3,
      processed: 42,
      failed: 2,
      heartbeatMs: 100,
    });
    expect(registered.memoryRssBytes).toBeGreaterThan(10_000_000);
    expect(registered.eventLoopLagMs).toBeGreaterThanOrEqual(0);
    const first = Date.parse(registered.lastHeartbeatAt);
    await eventually(async () => Date.parse((await entry())?.lastHeartbeatAt ?? "0") > first);
    expect(isHealthy(healthFile, 300)).toBe(true);

    await heartbeat.stop();
    expect(await entry()).toBeUndefined();
    expect(existsSync(healthFile)).toBe(false);
    expect(isHealthy(healthFile, 300)).toBe(false);
  });

  it("reports event-loop lag; a worker that stops beating reads stale and unhealthy", async () => {
    const { heartbeat, healthFile, entry } = setup();
    await heartbeat.start();
    await sleep(50);
    const blockedUntil = Date.now() + 400;
    while (Date.now() < blockedUntil) {
      // A handler hogging the event loop.
    }
    await eventually(async () => ((await entry())?.eventLoopLagMs ?? 0) > 300, 1_000);

    // Readers judge staleness from the heartbeat interval alone: 3 missed beats.
    const id = (await waitFor(entry)).id;
    const later = await listWorkers(redis(), { now: Date.now() + 1_000 });
    expect(later.find((worker) => worker.id === id)?.status).toBe("stale");
    await heartbeat.stop();
    expect(isHealthy(healthFile, 300)).toBe(false);
  });

  it("runs without a task ARN when the metadata endpoint fails", async () => {
    const metadata = await startHttpRecorder();
    metadata.respond(500, { error: "nope" });
    const { heartbeat, errors, entry } = setup({ ecsMetadataUri: metadata.url });
    await heartbeat.start();
    expect(await waitFor(entry)).toMatchObject({ taskArn: null, status: "healthy" });
    expect(errors).toContain("task-metadata");
    await heartbeat.stop();
  });

  it("records this version's script libraries as in use, so the control plane never prunes them", async () => {
    // A connection of its own: the others' heartbeats recorded on the suite's within the hour.
    const own = createRedis(inject("redisUrl"));
    const { heartbeat, errors } = setup({ redis: own });
    const before = Date.now();
    await heartbeat.start();
    const names = currentLibraryNames();
    await eventually(async () => {
      const recorded = await redis().hmget(LIBRARIES_SEEN_KEY, ...names);
      return recorded.every((at) => Number(at) >= before);
    });
    await heartbeat.stop();
    own.disconnect();
    expect(errors).not.toContain("recording script libraries");
  });
});
