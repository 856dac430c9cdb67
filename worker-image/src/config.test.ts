/** Configuration from the environment: defaults, parsing, and every problem named at once. */
import { describe, expect, it } from "vitest";
import { parseConfig } from "./config.js";

describe("configuration", () => {
  it("has defaults for everything", () => {
    const parsed = parseConfig({});
    if (!parsed.ok) throw new Error(parsed.errors.join("; "));
    expect(parsed.config).toMatchObject({
      redisUrl: "redis://127.0.0.1:6379",
      queues: [{ name: "default", weight: 1 }],
      concurrency: 50,
      leaseMs: 30_000,
      drainTimeoutMs: 25_000,
      ecsAgentUri: undefined,
      circuitBreaker: { failureRateThreshold: 0.5, minCalls: 20 },
      autoscale: { policy: { min: 1, max: 10 } },
    });
  });

  it("reads queues with weights, cluster URLs and ECS endpoints; empty variables count as unset", () => {
    const parsed = parseConfig({
      REDIS_URL: "redis-cluster://10.0.0.1:6379,10.0.0.2:6379",
      RQ_QUEUES: "default:3, emails:1,reports",
      RQ_CONCURRENCY: "",
      RQ_CB_FAILURE_RATE: "0.25",
      ECS_AGENT_URI: "http://169.254.170.2/api/abc",
    });
    if (!parsed.ok) throw new Error(parsed.errors.join("; "));
    expect(parsed.config.queues).toEqual([
      { name: "default", weight: 3 },
      { name: "emails", weight: 1 },
      { name: "reports", weight: 1 },
    ]);
    expect(parsed.config.concurrency).toBe(50);
    expect(parsed.config.circuitBreaker.failureRateThreshold).toBe(0.25);
    expect(parsed.config.ecsAgentUri).toBe("http://169.254.170.2/api/abc");
  });

  it("names every invalid variable with what it got", () => {
    const parsed = parseConfig({
      RQ_CONCURRENCY: "0",
      RQ_LEASE_MS: "1.5",
      RQ_QUEUES: "a,a",
      RQ_CB_FAILURE_RATE: "0",
      ECS_AGENT_URI: "not a url",
    });
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? [] : parsed.errors).toEqual([
      'RQ_QUEUES: queue "a" is listed twice (got "a,a")',
      'RQ_CONCURRENCY: must be a whole number from 1 to 1000 (got "0")',
      'RQ_LEASE_MS: must be a whole number from 100 to 3600000 (got "1.5")',
      'ECS_AGENT_URI: must be an http(s) URL (got "not a url")',
      'RQ_CB_FAILURE_RATE: must be a number more than 0 and at most 1 (got "0")',
    ]);
  });

  it("never echoes a Redis URL, which may carry a password", () => {
    const parsed = parseConfig({ REDIS_URL: "redis-cluster//:s3cr3t-pass@10.0.0.1:6379" });
    expect(parsed.ok).toBe(false);
    expect((parsed.ok ? [] : parsed.errors).join("\n")).not.toContain("s3cr3t");
  });

  it("checks settings against each other", () => {
    const parsed = parseConfig({
      RQ_QUEUES: "a,b,c",
      RQ_CONCURRENCY: "2",
      RQ_AUTOSCALE_MIN: "5",
      RQ_AUTOSCALE_MAX: "3",
    });
    expect(parsed.ok ? [] : parsed.errors).toEqual([
      "RQ_CONCURRENCY: must be at least the number of queues (3)",
      "RQ_AUTOSCALE_MIN: must not exceed RQ_AUTOSCALE_MAX (3)",
    ]);
  });
});
