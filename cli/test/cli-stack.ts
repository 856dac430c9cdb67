/**
 * Test support for the rq CLI: a real stack in the test process (the control
 * plane serving HTTP on a free port with an admin API key, and a worker with
 * the built-in handlers, both on the suite's redis-server) and a runner that
 * spawns the built `rq` binary (cli/bin/rq.js → cli/dist) and collects its
 * exit code and output.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../../control-plane/src/config/config.js";
import { createLogger } from "../../control-plane/src/logging/logger.js";
import { type RunningControlPlane, startControlPlane } from "../../control-plane/src/server/start-server.js";
import { type StartOptions, startWorker, type WorkerRuntime } from "../../worker-image/src/launcher.js";
import { memoryLogger, testConfig } from "../../worker-image/src/testing/in-process.js";

const BIN = fileURLToPath(new URL("../bin/rq.js", import.meta.url));
const BUILT = fileURLToPath(new URL("../dist/rq.js", import.meta.url));

export const ADMIN_KEY = "cli-admin-secret-0123456789";

export interface CliStack {
  url: string;
  controlPlane: RunningControlPlane;
  worker: WorkerRuntime;
  stop(): Promise<void>;
}

export async function startCliStack(redisUrl: string, queues: string[], options: StartOptions = {}) {
  const controlPlane = await startControlPlane(
    loadConfig({
      REDIS_URL: redisUrl,
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "silent",
      RQ_DASHBOARD_DIR: "/nonexistent-dashboard",
      RQ_API_KEYS: `cli-admin:${ADMIN_KEY}:admin`,
    }),
    createLogger("silent"),
  );
  const worker = await startWorker(
    testConfig(redisUrl, { RQ_QUEUES: queues.join(","), RQ_CONCURRENCY: String(4 * queues.length) }),
    { logger: memoryLogger(), maintainEveryMs: 100, ...options },
  );
  return {
    url: controlPlane.url,
    controlPlane,
    worker,
    async stop() {
      await worker.stop();
      await controlPlane.close();
    },
  } satisfies CliStack;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for --json runs). */
  json<T = unknown>(): T;
}

export function requireBuiltCli(): void {
  if (!existsSync(BUILT))
    throw new Error("cli/dist is missing: run `make build` (or `npm run build -w shared -w cli`)");
}

/**
 * Runs `rq <args>` with RQ_URL/RQ_API_KEY from `env` only (nothing inherited but PATH);
 * `onStderr` sees stderr as it grows, to act once the command says something.
 */
export function rq(
  args: string[],
  env: Record<string, string> = {},
  stdin?: string,
  onStderr?: (stderr: string) => void,
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolve({ code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T });
      },
    );
    let stderrSoFar = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderrSoFar += chunk.toString();
      onStderr?.(stderrSoFar);
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
    else child.stdin?.end();
  });
}
