import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.js";

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe("loadConfig", () => {
  it("has working defaults for development", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      production: false,
      port: 8080,
      redisUrl: "redis://127.0.0.1:6379",
      apiKeys: [],
      bodyLimitBytes: 1024 * 1024,
      cloudwatch: null,
      ecs: null,
    });
  });

  it("refuses to start in production without API keys", () => {
    expect(problemsOf({ NODE_ENV: "production" })).toEqual([
      "RQ_API_KEYS: required when NODE_ENV=production (the API would be open to anyone)",
    ]);
    expect(loadConfig({ NODE_ENV: "production", RQ_API_KEYS: "ops:0123456789abcdef:admin" }).production).toBe(
      true,
    );
  });

  it("names every bad variable at once", () => {
    const problems = problemsOf({ PORT: "eighty", REDIS_URL: "http://x", LOG_LEVEL: "loud" });
    expect(problems).toHaveLength(3);
    expect(problems.join("\n")).toMatch(/PORT: must be a whole number/);
    expect(problems.join("\n")).toMatch(/REDIS_URL: must be a redis:\/\/, rediss:\/\//);
    expect(problems.join("\n")).toMatch(/LOG_LEVEL/);
    expect(problemsOf({ PORT: "70000" })).toEqual(["PORT: must be at most 65535"]);
  });

  it("needs a region for CloudWatch and both ECS names", () => {
    expect(problemsOf({ RQ_CLOUDWATCH: "1" })).toEqual(["AWS_REGION: required when RQ_CLOUDWATCH=1"]);
    expect(problemsOf({ RQ_ECS_CLUSTER: "c", AWS_REGION: "eu-west-1" })).toEqual([
      "RQ_ECS_CLUSTER and RQ_ECS_SERVICE: set both or neither",
    ]);
    const config = loadConfig({
      RQ_CLOUDWATCH: "1",
      RQ_CLOUDWATCH_INTERVAL_S: "30",
      AWS_REGION: "eu-west-1",
      RQ_ECS_CLUSTER: "c",
      RQ_ECS_SERVICE: "s",
    });
    expect(config.cloudwatch).toEqual({ region: "eu-west-1", intervalMs: 30_000, endpoint: undefined });
    expect(config.ecs).toMatchObject({ cluster: "c", service: "s", cacheMs: 15_000 });
  });

  it("passes API key problems through without secrets", () => {
    expect(problemsOf({ RQ_API_KEYS: "ops:hunter2:root" })).toEqual([
      "RQ_API_KEYS entry 1 (ops): role must be one of metrics, read, submit, admin",
    ]);
  });
});
