/**
 * ECS task scale-in protection against a local stand-in for the ECS agent:
 * protected while jobs run, released once idle, renewed, retried on errors.
 */
import { Queue } from "@rqueue/shared";
import { describe, expect, inject, it } from "vitest";
import { eventually, sleep, uniqueQueue, useRedis } from "../../shared/test/engine-fixture.js";
import { freePort } from "../../shared/test/redis-harness.js";
import { TaskProtection } from "./task-protection.js";
import { startHttpRecorder } from "./testing/http-recorder.js";
import { startTestWorker, testConfig } from "./testing/in-process.js";

const PATH = "/task-protection/v1/state";
const enable = { method: "PUT", path: PATH, body: { ProtectionEnabled: true, ExpiresInMinutes: 10 } };
const release = { method: "PUT", path: PATH, body: { ProtectionEnabled: false } };

describe("task protection", () => {
  const redisUrl = inject("redisUrl");
  const redis = useRedis(redisUrl);

  it("protects while busy and releases once idle, without flapping between close jobs", async () => {
    const agent = await startHttpRecorder();
    const errors: unknown[] = [];
    const protection = new TaskProtection({
      agentUri: agent.url,
      expiresInMinutes: 10,
      idleReleaseMs: 150,
      onError: (error) => errors.push(error),
    });
    protection.update(1);
    await eventually(() => agent.requests.length === 1);
    protection.update(0);
    await sleep(50);
    protection.update(2); // busy again within the idle window: nothing to send
    await sleep(250);
    expect(agent.requests).toEqual([enable]);
    protection.update(0);
    await eventually(() => agent.requests.length === 2);
    expect(agent.requests[1]).toEqual(release);
    await protection.stop();
    expect(agent.requests).toHaveLength(2);
    expect(errors).toEqual([]);
  });

  it("renews before the grant expires and retries a refused request", async () => {
    const agent = await startHttpRecorder();
    agent.respond(503, { error: "agent busy" });
    const errors: unknown[] = [];
    const protection = new TaskProtection({
      agentUri: agent.url,
      expiresInMinutes: 0.005, // 300 ms: renewed every 150 ms
      retryMs: 100,
      onError: (error) => errors.push(error),
    });
    protection.update(1);
    await eventually(() => errors.length === 1);
    expect(String(errors[0])).toContain("ECS agent answered 503");
    agent.respond(200);
    await eventually(() => agent.requests.length >= 4, 2_000);
    expect(
      agent.requests.every((request) => (request.body as { ProtectionEnabled: boolean }).ProtectionEnabled),
    ).toBe(true);
    await protection.stop();
    expect(agent.requests.at(-1)).toMatchObject({ body: { ProtectionEnabled: false } });
  });

  it("stops cleanly while a request to an unreachable agent is failing", async () => {
    // Nothing listens on this port: the request fails with a connection error.
    const url = `http://127.0.0.1:${await freePort()}`;
    const errors: unknown[] = [];
    const protection = new TaskProtection({
      agentUri: url,
      expiresInMinutes: 10,
      retryMs: 10_000,
      onError: (error) => errors.push(error),
    });
    protection.update(1);
    await sleep(0); // the request is under way
    await expect(protection.stop()).resolves.toBeUndefined();
  });

  it("is driven by the worker's running jobs when ECS_AGENT_URI is set", async () => {
    const agent = await startHttpRecorder();
    const queue = new Queue({ redis: redis(), name: uniqueQueue("protect") });
    await startTestWorker(testConfig(redisUrl, { RQ_QUEUES: queue.name, ECS_AGENT_URI: agent.url }));
    expect(agent.requests).toEqual([]);
    await queue.add({ type: "sleep", payload: { ms: 300 } });
    await eventually(() => agent.requests.length === 1);
    expect(agent.requests[0]).toEqual(enable);
    await eventually(() => agent.requests.length === 2, 3_000);
    expect(agent.requests[1]).toEqual(release);
    expect((await queue.counts()).total.completed).toBe(1);
  });
});
