/**
 * System drain: the stack a user starts with `make dev` (started the way the
 * Makefile's dev target runs it, on a redis-server of this bench's own, a free
 * port and throwaway archive and blob directories), fed a burst over HTTP: N
 * no-op jobs submitted in batches of 1,000 to the paused `default` queue, then
 * resumed; timed from the resume to the last completion. Twice: on the fresh
 * stack (the supervisor's first worker), and again at once while the workers the
 * burst scaled out to are still warm. The dashboard bundle is not rebuilt
 * (`-o dashboard`): it plays no part in a burst; nor, under `make bench`, are deps
 * and build, which the bench target has just run.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRedis, Queue, queueKeys } from "@rqueue/shared";
import { startRedisServer } from "../../../shared/test/redis-harness.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });
}

const groupAlive = (pid: number) => {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function stopGroup(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (!pid || !groupAlive(pid)) return;
  process.kill(-pid, "SIGTERM");
  const deadline = Date.now() + 45_000;
  while (groupAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (groupAlive(pid)) process.kill(-pid, "SIGKILL");
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`system drain: ${what} within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface BurstResult {
  jobsPerSecond: number;
  workersAtResume: number;
  workersAtEnd: number;
}

export async function systemDrain(options: {
  jobs: number;
  onStep?: (text: string) => void;
  onProgress?: (text: string) => void;
}): Promise<{ fresh: BurstResult; warm: BurstResult }> {
  const redisServer = await startRedisServer();
  const port = await freePort();
  const scratch = mkdtempSync(join(tmpdir(), "rq-bench-dev-"));
  const say = options.onStep ?? (() => undefined);
  const tick = options.onProgress ?? (() => undefined);
  say("starting make dev");
  // Under `make bench` the bench target has just run deps and build: not twice.
  const done = process.env.MAKELEVEL ? ["-o", "deps", "-o", "build"] : [];
  const stack = spawn("make", ["--no-print-directory", "-s", "-o", "dashboard", ...done, "dev"], {
    cwd: ROOT,
    env: {
      ...process.env,
      REDIS_URL: redisServer.url,
      PORT: String(port),
      RQ_ARCHIVE_DIR: join(scratch, "archive"),
      RQ_BLOB_DIR: join(scratch, "blobs"),
      LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
    },
    stdio: ["ignore", "ignore", "inherit"],
    detached: true, // a process group of its own, stopped as a whole
  });
  const redis = createRedis(redisServer.url);
  const base = `http://127.0.0.1:${port}`;
  const api = async (path: string, init?: RequestInit) => {
    const response = await fetch(`${base}${path}`, init);
    if (!response.ok)
      throw new Error(`${init?.method ?? "GET"} ${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<Record<string, unknown>>;
  };
  const workers = async () => ((await api("/v1/workers")).summary as { total: number }).total;
  const completed = async () => Number(await redis.hget(queueKeys("default").stats, "completed"));
  const batch = JSON.stringify({ jobs: Array.from({ length: 1_000 }, () => ({ type: "noop" })) });

  async function burst(label: string): Promise<BurstResult> {
    say(label);
    await new Queue({ redis, name: "default" }).pause();
    for (let sent = 0; sent < options.jobs; sent += 1_000) {
      tick(`${label}: submitting ${sent}/${options.jobs}`);
      await api("/v1/jobs/batch", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: batch,
      });
    }
    const target = (await completed()) + options.jobs;
    const workersAtResume = await workers();
    const started = performance.now();
    await api("/v1/queues/default/resume", { method: "POST" });
    for (let done = await completed(); done < target; done = await completed()) {
      tick(`${label}: ${done - (target - options.jobs)}/${options.jobs} completed`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const seconds = (performance.now() - started) / 1000;
    return { jobsPerSecond: options.jobs / seconds, workersAtResume, workersAtEnd: await workers() };
  }

  try {
    await waitFor(async () => (await fetch(`${base}/readyz`)).ok, 180_000, "the stack did not become ready");
    await waitFor(async () => (await workers()) >= 1, 60_000, "no worker registered");
    const fresh = await burst("fresh stack");
    const warm = await burst("warm workers");
    return { fresh, warm };
  } finally {
    say("stopping make dev");
    redis.disconnect();
    await stopGroup(stack);
    await redisServer.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}
