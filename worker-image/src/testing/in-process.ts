/**
 * Test support: starts a worker inside the test process (same code as the
 * process, minus signals), with a configuration built the way the process
 * builds it, and stops it after the test.
 */
import { onTestFinished } from "vitest";
import { parseConfig, type WorkerConfig } from "../config.js";
import { type StartOptions, startWorker, type WorkerRuntime } from "../launcher.js";
import type { Logger } from "../logger.js";
import { testEnv } from "./worker-process.js";

export function testConfig(redisUrl: string, env: Record<string, string> = {}): WorkerConfig {
  const parsed = parseConfig(testEnv(redisUrl, env));
  if (!parsed.ok) throw new Error(parsed.errors.join("; "));
  return parsed.config;
}

/** A logger that keeps its lines for assertions instead of printing them. */
export function memoryLogger(): Logger & { lines: { level: string; msg: string; fields: object }[] } {
  const lines: { level: string; msg: string; fields: object }[] = [];
  const keep =
    (level: string) =>
    (msg: string, fields: object = {}) =>
      void lines.push({ level, msg, fields });
  return { lines, debug: keep("debug"), info: keep("info"), warn: keep("warn"), error: keep("error") };
}

export async function startTestWorker(
  config: WorkerConfig,
  options: StartOptions = {},
): Promise<WorkerRuntime> {
  const runtime = await startWorker(config, { logger: memoryLogger(), maintainEveryMs: 100, ...options });
  onTestFinished(async () => {
    await runtime.stop();
  });
  return runtime;
}
