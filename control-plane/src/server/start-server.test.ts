import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, inject, it } from "vitest";
import { loadConfig } from "../config/config.js";
import { createLogger } from "../logging/logger.js";
import { uniqueQueue } from "../testing/test-app.js";
import { startControlPlane } from "./start-server.js";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

function runMain(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--conditions=development", "--import", "tsx", MAIN], {
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("exit", (code) => resolve({ code, stderr }));
  });
}

describe("startControlPlane", () => {
  it("serves over HTTP and shuts down gracefully, answering long polls first", async () => {
    const config = loadConfig({
      REDIS_URL: inject("redisUrl"),
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "silent",
      // No worker registers the job type this test submits.
      RQ_REQUIRE_REGISTERED_TYPES: "0",
    });
    const running = await startControlPlane(config, createLogger("silent"));
    const res = await fetch(`${running.url}/v1/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ type: "a", queue: uniqueQueue("srv") }),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const waiting = fetch(`${running.url}/v1/jobs/${id}/wait?timeoutMs=30000`);
    await new Promise((resolve) => setTimeout(resolve, 100));

    const started = Date.now();
    await running.close();
    const answered = await waiting;
    expect(answered.status).toBe(200);
    expect(((await answered.json()) as { state: string }).state).toBe("pending");
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect(fetch(`${running.url}/healthz`)).rejects.toThrow();
  });
});

describe("main", () => {
  it("exits 1 with every configuration problem listed", async () => {
    const { code, stderr } = await runMain({ PORT: "nope", NODE_ENV: "production" });
    expect(code).toBe(1);
    expect(stderr).toContain("PORT: must be a whole number");
  });

  it("refuses to start in production without API keys", async () => {
    const { code, stderr } = await runMain({ NODE_ENV: "production", REDIS_URL: inject("redisUrl") });
    expect(code).toBe(1);
    expect(stderr).toContain("RQ_API_KEYS: required when NODE_ENV=production");
  });
});
