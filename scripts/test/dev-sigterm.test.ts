/**
 * `make dev` stops on SIGTERM sent to `make` as it does on Ctrl-C: the control plane,
 * the supervisor and its workers all exit. Runs the same recipe (`make dev-stack`,
 * from the sources so no build is needed) against a throwaway Redis.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type RedisServerHandle, startRedisServer } from "../../shared/test/redis-harness.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Every live descendant of `pid`, from /proc (children of the stack run in groups of their own). */
function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name may hold spaces and parentheses: the fields after the last ")".
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Exited while listing.
    }
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const child of parents.get(parent) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(status(pid));
function status(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return "State: Z";
  }
}

async function until(check: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what()} (waited ${timeoutMs / 1000} s)`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let redis: RedisServerHandle;
let dataDir: string;
let make: ChildProcess | undefined;
beforeAll(async () => {
  redis = await startRedisServer();
  dataDir = await mkdtemp(join(tmpdir(), "rq-dev-sigterm-"));
});
afterAll(async () => {
  if (make?.pid) for (const pid of descendants(make.pid)) process.kill(pid, "SIGKILL");
  make?.kill("SIGKILL");
  await redis?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("make dev", () => {
  it("stops the control plane, the supervisor and its workers on SIGTERM to make", async () => {
    const port = await freePort();
    make = spawn("make", ["--no-print-directory", "dev-stack"], {
      cwd: ROOT,
      env: {
        ...process.env,
        RQ_DEV_FROM_SOURCE: "1",
        REDIS_URL: redis.url,
        PORT: String(port),
        RQ_ARCHIVE_DIR: join(dataDir, "archive"),
        RQ_BLOB_DIR: join(dataDir, "blobs"),
        RQ_QUEUES: "dev-sigterm",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    make.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    make.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<void>((resolve) => make?.once("exit", () => resolve()));
    const makePid = make.pid as number;
    await until(
      () => /worker started/.test(output),
      150_000,
      () => `no worker started:\n${output}`,
    );
    const stack = descendants(makePid);
    // tsx, scripts/dev.ts, the control plane, the supervisor and at least one worker.
    expect(stack.length).toBeGreaterThanOrEqual(5);

    process.kill(makePid, "SIGTERM");
    await exited;
    await until(
      () => stack.every((pid) => !alive(pid)),
      40_000,
      () => `processes still running: ${stack.filter(alive).join(", ")}\n${output}`,
    );
    expect(output).toContain("[dev] stopped");
  }, 240_000);
});
