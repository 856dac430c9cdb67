/**
 * The real stack an end-to-end test drives: a throwaway redis-server, the control
 * plane serving the built dashboard (dashboard/dist) with API keys, and one worker
 * process with the built-in handlers. Each process is stopped by its own pid.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { freePort, type RedisServerHandle, startRedisServer } from "../../shared/test/redis-harness.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DIST = fileURLToPath(new URL("../dist", import.meta.url));

export const ADMIN_KEY = "e2e-admin-secret-0123456789";
export const READ_KEY = "e2e-read-secret-0123456789";

export interface Stack {
  url: string;
  redis: RedisServerHandle;
  /** Everything the processes printed, for a failing test's message. */
  output(): string;
  stop(): Promise<void>;
}

function startNode(entry: string, env: Record<string, string>, output: string[]): ChildProcess {
  const child = spawn(process.execPath, ["--conditions=development", "--import", "tsx", entry], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 400) output.splice(0, output.length - 400);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return child;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

async function waitForHttp(url: string, child: ChildProcess, output: string[], timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`control plane exited:\n${output.join("")}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`control plane not ready at ${url}:\n${output.join("")}`);
}

export async function startStack(): Promise<Stack> {
  if (!existsSync(`${DIST}/index.html`))
    throw new Error("dashboard/dist is missing: run `make dashboard` first");
  const redis = await startRedisServer();
  const port = await freePort();
  const output: string[] = [];
  const common = { REDIS_URL: redis.url, LOG_LEVEL: "warn", NODE_ENV: "test" };
  const controlPlane = startNode(
    "control-plane/src/main.ts",
    {
      ...common,
      PORT: String(port),
      HOST: "127.0.0.1",
      RQ_DASHBOARD_DIR: DIST,
      RQ_API_KEYS: `e2e-admin:${ADMIN_KEY}:admin,e2e-viewer:${READ_KEY}:read`,
    },
    output,
  );
  const worker = startNode(
    "worker-image/src/main.ts",
    {
      ...common,
      RQ_QUEUES: "default",
      RQ_CONCURRENCY: "20",
      RQ_HEARTBEAT_MS: "1000",
      // Opens after 4 failures and stays open until someone resets it.
      RQ_CB_MIN_CALLS: "4",
      RQ_CB_FAILURE_RATE: "0.5",
      RQ_CB_COOLDOWN_MS: "600000",
    },
    output,
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, controlPlane, output);
  return {
    url,
    redis,
    output: () => output.join(""),
    async stop() {
      await Promise.all([stopChild(worker), stopChild(controlPlane)]);
      await redis.stop();
    },
  };
}
