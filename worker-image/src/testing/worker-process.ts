/**
 * Test support: runs `rqueue-worker` as a real child process from the
 * TypeScript sources, collects its JSON log lines, and makes sure no child
 * outlives the test file that started it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, onTestFailed } from "vitest";
import { scratchDirs } from "../../../shared/test/scratch-dirs.js";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export interface LogLine {
  msg: string;
  level: string;
  [field: string]: unknown;
}

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  /** Parsed JSON log lines so far (stdout and stderr). */
  lines: LogLine[];
  /** Raw stderr, for non-JSON messages such as configuration errors. */
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first log line (past or future) that matches. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
}

const running = new Set<ChildProcess>();
// Imported at the top of the test files that use it, so the folders go when each file ends.
const scratch = scratchDirs();
let cleanupRegistered = false;

/** Environment for a test worker: short leases and heartbeats, a private health file. */
export function testEnv(redisUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    REDIS_URL: redisUrl,
    RQ_LEASE_MS: "500",
    RQ_HEARTBEAT_MS: "200",
    RQ_DRAIN_TIMEOUT_MS: "2000",
    RQ_HEALTH_FILE: join(scratch("rq-worker-"), "health"),
    ...extra,
  };
}

export function startWorkerProcess(env: Record<string, string>, args: string[] = []): WorkerProcess {
  if (!cleanupRegistered) {
    cleanupRegistered = true;
    afterAll(() => {
      for (const child of running) child.kill("SIGKILL");
    });
  }
  const { REDIS_URL: _ignored, ...inherited } = process.env;
  const child = spawn(process.execPath, ["--conditions=development", "--import", "tsx", MAIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...inherited, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const lines: LogLine[] = [];
  const watchers = new Set<() => void>();
  let stderr = "";
  const collect = (stream: NodeJS.ReadableStream, isErr: boolean) => {
    let partial = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      if (isErr) stderr += chunk;
      partial += chunk;
      const complete = partial.split("\n");
      partial = complete.pop() ?? "";
      for (const text of complete) {
        if (!text.startsWith("{")) continue;
        lines.push(JSON.parse(text) as LogLine);
        for (const watcher of watchers) watcher();
      }
    });
  };
  collect(child.stdout as NodeJS.ReadableStream, false);
  collect(child.stderr as NodeJS.ReadableStream, true);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  // A failing test shows what the process said, which is usually why it failed.
  onTestFailed(() => {
    process.stderr.write(
      `--- worker process ${child.pid} ${args.join(" ")} output:\n${lines.map((line) => JSON.stringify(line)).join("\n")}\n${stderr}\n`,
    );
  });
  return {
    child,
    pid: child.pid ?? -1,
    lines,
    stderr: () => stderr,
    exited,
    waitForLog(match, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find(match);
          if (!found) return false;
          watchers.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(
            new Error(
              `no matching log line within ${timeoutMs} ms; got:\n${lines.map((l) => JSON.stringify(l)).join("\n")}\n${stderr}`,
            ),
          );
        }, timeoutMs);
        if (!check()) watchers.add(check);
      });
    },
  };
}

/** Resolves once the process logged that its worker started. */
// A cold start transpiles the sources with tsx: on a busy 2-core machine that alone can take 10-15 s.
export const started = (worker: WorkerProcess) =>
  worker.waitForLog((line) => line.msg === "worker started", 40_000);
