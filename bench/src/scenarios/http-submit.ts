/**
 * HTTP submit throughput of one control-plane process (the compiled JavaScript
 * `make build` emits, as `make dev` runs it) on the bench's Redis: autocannon
 * against `POST /v1/jobs` (50 keep-alive connections) and `POST /v1/jobs/batch`
 * (1,000 jobs a request), each after a short warm-up (JIT, script loading, pools).
 * Logging at the production level: one access log line per request is part of the cost.
 * Also the control-plane process's CPU (user + system, from /proc on Linux) per
 * request and per job over each load: unlike throughput on a shared machine, it
 * carries over to another one.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const ENTRY = join(ROOT, "control-plane", "dist", "main.js");

export interface HttpSubmitOptions {
  port: number;
  seconds: number;
  connections: number;
  batchConnections: number;
  batchSize: number;
  onProgress?: (text: string) => void;
}

/** CPU seconds a process has used (utime + stime from /proc), or null where /proc is not there. */
function cpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined || !existsSync(`/proc/${pid}/stat`)) return null;
  // Fields after the command name (which may hold spaces): state is the 1st, utime the 12th, stime the 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  const ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
  return (Number(fields[11]) + Number(fields[12])) / ticks;
}

/** Runs `work` and says how many CPU µs the process spent per `units` it reports. */
async function perUnitCpu<T>(pid: number | undefined, work: () => Promise<T>, units: (result: T) => number) {
  const before = cpuSeconds(pid);
  const result = await work();
  const after = cpuSeconds(pid);
  const micros = before === null || after === null ? Number.NaN : ((after - before) * 1e6) / units(result);
  return { result, micros };
}

async function waitReady(base: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    if (i > 300) throw new Error("control plane did not become ready within 30 s");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function load(url: string, body: string, connections: number, duration: number) {
  return autocannon({
    url,
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    connections,
    pipelining: 1,
    duration,
  });
}

export async function httpSubmit(redisUrl: string, options: HttpSubmitOptions) {
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run \`make build\` first`);
  const api = spawn(process.execPath, [ENTRY], {
    env: {
      ...process.env,
      REDIS_URL: redisUrl,
      PORT: String(options.port),
      HOST: "127.0.0.1",
      LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
      // No worker runs here: the submitted type is registered by none.
      RQ_REQUIRE_REGISTERED_TYPES: "0",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise((resolve) => api.once("exit", resolve));
  try {
    const base = `http://127.0.0.1:${options.port}`;
    await waitReady(base);
    const one = JSON.stringify({ type: "bench", payload: { user: 42, action: "send-welcome-email" } });
    const batch = JSON.stringify({
      jobs: Array.from({ length: options.batchSize }, (_, i) => ({ type: "bench", payload: { i } })),
    });
    options.onProgress?.("POST /v1/jobs warm-up");
    await load(`${base}/v1/jobs`, one, options.connections, 1);
    options.onProgress?.(`POST /v1/jobs, ${options.connections} connections, ${options.seconds} s`);
    const { result: single, micros: cpuPerRequest } = await perUnitCpu(
      api.pid,
      () => load(`${base}/v1/jobs`, one, options.connections, options.seconds),
      (result) => result.requests.total,
    );
    options.onProgress?.("POST /v1/jobs/batch warm-up");
    await load(`${base}/v1/jobs/batch`, batch, options.batchConnections, 1);
    options.onProgress?.(
      `POST /v1/jobs/batch, ${options.batchConnections} connections, ${options.seconds} s`,
    );
    const { result: batched, micros: cpuPerJob } = await perUnitCpu(
      api.pid,
      () => load(`${base}/v1/jobs/batch`, batch, options.batchConnections, options.seconds),
      (result) => result.requests.total * options.batchSize,
    );
    const failures = (r: autocannon.Result) => r.non2xx + r.errors + r.timeouts;
    if (failures(single) + failures(batched) > 0) {
      throw new Error(
        `HTTP submit had failures: /v1/jobs ${failures(single)}, /v1/jobs/batch ${failures(batched)}`,
      );
    }
    return {
      single: {
        requestsPerSecond: single.requests.average,
        p50Ms: single.latency.p50,
        p99Ms: single.latency.p99,
        cpuMicrosPerRequest: cpuPerRequest,
      },
      batch: {
        jobsPerSecond: batched.requests.average * options.batchSize,
        p99Ms: batched.latency.p99,
        cpuMicrosPerJob: cpuPerJob,
      },
    };
  } finally {
    api.kill("SIGTERM");
    await exited;
  }
}
