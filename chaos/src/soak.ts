/**
 * The soak: a real stack on loopback (its own redis-server with AOF everysec, the
 * control plane as its own process, soak worker processes) under a steady HTTP load
 * of the realistic mix (10 % of jobs fail every attempt, so they retry and then
 * dead-letter), sampled every few seconds: Redis used_memory, each process's RSS,
 * the workers' event-loop delay p99, the control plane's /healthz time, submit
 * latency p99 and throughput. Writes the samples as CSV and a chart (SVG, and PNG
 * through resvg), and judges them: memory and RSS plateau (the last half's slope
 * stays under a threshold), lag and p99 steady (the last half no worse than 3×
 * the first half, plus a margin), throughput keeping up with the load.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { createRedis, queueKeys } from "@rqueue/shared";
import { freePort, startRedisServer } from "../../shared/test/redis-harness.js";
import { type SoakSample, writeSoakChart } from "./soak-chart.js";
import { sleep, waitFor } from "./wait.js";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const QUEUE = "soak";

export interface SoakOptions {
  durationMs: number;
  sampleMs: number;
  /** Jobs submitted per second, one POST /v1/jobs each. */
  ratePerSecond: number;
  workers: number;
  /** Retention caps for the run; unset means the engine's defaults. */
  keepCompleted?: number;
  keepFailed?: number;
  eventsMaxLen?: number;
  /** Where soak.csv, soak.svg and soak.png go. */
  outDir: string;
  log?: (line: string) => void;
}

export interface SoakCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface SoakResult {
  samples: SoakSample[];
  checks: SoakCheck[];
  passed: boolean;
  files: string[];
}

function spawnNode(args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ["--conditions=development", "--import", "tsx", ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stderr?.resume();
  return child;
}

/** Calls `onLine` for each complete line a child writes to `stream`. */
function eachLine(stream: Readable | null, onLine: (line: string) => void): void {
  let partial = "";
  stream?.setEncoding("utf8");
  stream?.on("data", (chunk: string) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) onLine(line);
  });
}

const rssOf = (pid: number | undefined): number => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
};

const percentile = (values: number[], p: number): number => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? (() => {});
  const server = await startRedisServer({ appendonly: true, appendfsync: "everysec" });
  const redis = createRedis(server.url);
  redis.on("error", () => {});
  const port = await freePort();
  const children: ChildProcess[] = [];
  try {
    const controlPlane = spawnNode(
      ["--expose-gc", "--import", "./chaos/src/soak-probe.ts", "control-plane/src/main.ts"],
      {
        REDIS_URL: server.url,
        HOST: "127.0.0.1",
        PORT: String(port),
        LOG_LEVEL: "warn",
        RQ_DASHBOARD_DIR: "/nonexistent-dashboard",
        // The soak workers are engine loops of their own, which do not advertise their types.
        RQ_REQUIRE_REGISTERED_TYPES: "0",
      },
    );
    children.push(controlPlane);
    // Its log must be read: pino writes synchronously, so a full pipe would block the process.
    const controlPlaneLog = new Map<string, number>();
    eachLine(controlPlane.stdout, (line) => {
      const msg = /"msg":"([^"]*)"/.exec(line)?.[1] ?? line.slice(0, 120);
      controlPlaneLog.set(msg, (controlPlaneLog.get(msg) ?? 0) + 1);
    });
    // What chaos/src/soak-probe.ts reports from inside the control plane.
    const probe = { heapAfterGc: 0, external: 0 };
    eachLine(controlPlane.stderr, (line) => {
      if (line.startsWith('{"soakProbe"'))
        Object.assign(probe, (JSON.parse(line) as { soakProbe: typeof probe }).soakProbe);
    });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(
      () =>
        fetch(`${base}/healthz`).then(
          (response) => response.ok,
          () => false,
        ),
      60_000,
      "the control plane to answer /healthz",
    );
    const workerLag = new Map<number, number>();
    const workerEnv: Record<string, string> = {
      REDIS_URL: server.url,
      SOAK_QUEUE: QUEUE,
      ...(options.keepCompleted !== undefined ? { SOAK_KEEP_COMPLETED: String(options.keepCompleted) } : {}),
      ...(options.keepFailed !== undefined ? { SOAK_KEEP_FAILED: String(options.keepFailed) } : {}),
      ...(options.eventsMaxLen !== undefined ? { SOAK_EVENTS_MAX_LEN: String(options.eventsMaxLen) } : {}),
    };
    for (let i = 0; i < options.workers; i++) {
      const worker = spawnNode(["chaos/src/soak-worker.ts"], workerEnv);
      children.push(worker);
      eachLine(worker.stdout, (line) => {
        if (line.startsWith("{"))
          workerLag.set(worker.pid ?? 0, (JSON.parse(line) as { lagP99Ms: number }).lagP99Ms);
      });
    }
    const workerPids = children.slice(1).map((child) => child.pid ?? 0);
    await waitFor(() => workerLag.size >= options.workers, 60_000, "the soak workers to start");
    log(
      `soak: stack up (control plane :${port}, ${options.workers} workers); load ${options.ratePerSecond} jobs/s`,
    );

    // The load: every 100 ms a tenth of the second's jobs, each its own request.
    let latencies: number[] = [];
    let submitted = 0;
    let submitErrors = 0;
    const errorStatuses = new Map<string, number>();
    const countError = (what: string) => {
      submitErrors++;
      errorStatuses.set(what, (errorStatuses.get(what) ?? 0) + 1);
    };
    let submitCounter = 0;
    let loading = true;
    const inFlight = new Set<Promise<void>>();
    const submitOne = async () => {
      const fail = submitCounter++ % 10 === 9;
      const body = fail
        ? {
            type: "soak",
            payload: { fail: true },
            maxAttempts: 3,
            backoff: { strategy: "fixed", delayMs: 200 },
          }
        : { type: "soak", payload: { ms: 5 } };
      const started = performance.now();
      try {
        const response = await fetch(`${base}/v1/jobs`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ ...body, queue: QUEUE }),
        });
        const text = await response.text();
        if (response.status === 201) submitted++;
        else countError(`${response.status} ${text.slice(0, 120)}`);
      } catch (error) {
        countError(String((error as Error).cause ?? error));
      }
      latencies.push(performance.now() - started);
    };
    const load = (async () => {
      let carry = 0;
      while (loading) {
        carry += options.ratePerSecond / 10;
        for (; carry >= 1; carry--) {
          if (inFlight.size >= 200) break; // never an unbounded backlog of requests
          const request = submitOne().finally(() => inFlight.delete(request));
          inFlight.add(request);
        }
        await sleep(100);
      }
      await Promise.all(inFlight);
    })();

    const stats = queueKeys(QUEUE).stats;
    const readDone = async () => {
      const [completed, failed] = await redis.hmget(stats, "completed", "failed");
      return Number(completed ?? 0) + Number(failed ?? 0);
    };
    const samples: SoakSample[] = [];
    const started = Date.now();
    let lastAt = started;
    let lastDone = await readDone();
    let lastSubmitted = 0;
    while (Date.now() - started < options.durationMs) {
      await sleep(options.sampleMs);
      const now = Date.now();
      const healthStarted = performance.now();
      await fetch(`${base}/healthz`).then(
        (response) => response.arrayBuffer(),
        () => undefined,
      );
      const healthzMs = performance.now() - healthStarted;
      const done = await readDone();
      const memory = /used_memory:(\d+)/.exec(await redis.info("memory"))?.[1];
      const seconds = (now - lastAt) / 1000;
      const sample: SoakSample = {
        t: Math.round((now - started) / 1000),
        submittedPerS: (submitted - lastSubmitted) / seconds,
        donePerS: (done - lastDone) / seconds,
        submitP99Ms: percentile(latencies, 99),
        redisUsedMemory: Number(memory ?? 0),
        controlPlaneRss: rssOf(controlPlane.pid),
        controlPlaneHeapAfterGc: probe.heapAfterGc,
        controlPlaneExternal: probe.external,
        requestsInFlight: inFlight.size,
        workerRss: workerPids.map(rssOf),
        workerLagP99Ms: Math.max(...workerLag.values()),
        healthzMs,
      };
      samples.push(sample);
      latencies = [];
      lastAt = now;
      lastDone = done;
      lastSubmitted = submitted;
      log(
        `soak t=${sample.t}s submitted ${sample.submittedPerS.toFixed(0)}/s done ${sample.donePerS.toFixed(0)}/s ` +
          `redis ${(sample.redisUsedMemory / 1e6).toFixed(1)} MB cp ${(sample.controlPlaneRss / 1e6).toFixed(0)} MB ` +
          `(heap after GC ${(sample.controlPlaneHeapAfterGc / 1e6).toFixed(0)} MB, ${sample.requestsInFlight} in flight) ` +
          `p99 ${sample.submitP99Ms.toFixed(1)} ms lag ${sample.workerLagP99Ms.toFixed(1)} ms`,
      );
    }
    loading = false;
    await load;
    const checks = judgeSoak(samples, options.ratePerSecond, submitErrors);
    for (const [what, count] of errorStatuses) log(`soak: ${count} submissions failed: ${what}`);
    for (const [msg, count] of controlPlaneLog) log(`soak: control plane logged ${count}× ${msg}`);
    const files = await writeSoakOutput(samples, options.outDir, checks);
    return { samples, checks, passed: checks.every((check) => check.ok), files };
  } finally {
    for (const child of children) child.kill("SIGKILL");
    redis.disconnect();
    await server.stop();
  }
}

/** Least-squares slope of `values` over `times` (per second). */
function slope(times: number[], values: number[]): number {
  const n = times.length;
  const meanT = times.reduce((a, b) => a + b, 0) / n;
  const meanV = values.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += ((times[i] as number) - meanT) * ((values[i] as number) - meanV);
    den += ((times[i] as number) - meanT) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const median = (values: number[]) => percentile(values, 50);
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

/** The pass rule, applied to the samples of a run. */
export function judgeSoak(samples: SoakSample[], ratePerSecond: number, submitErrors: number): SoakCheck[] {
  const half = samples.slice(Math.floor(samples.length / 2));
  const first = samples.slice(0, Math.floor(samples.length / 2));
  const times = half.map((sample) => sample.t);
  const span = Math.max(1, (times.at(-1) ?? 0) - (times[0] ?? 0));
  // With `floors`, the trend is that of the lowest value in each tenth of the last half:
  // a process's RSS swings with garbage collection and with the requests in flight,
  // which a leak does not explain; what a leak raises is the floor after each collection.
  const plateau = (
    name: string,
    values: number[],
    relative: number,
    absolute: number,
    floors = false,
  ): SoakCheck => {
    const width = floors ? Math.max(1, Math.floor(values.length / 10)) : 1;
    const points: { t: number; v: number }[] = [];
    for (let i = 0; i + width <= values.length; i += width) {
      const window = values.slice(i, i + width);
      const at = times.slice(i, i + width);
      points.push({ t: at.reduce((a, b) => a + b, 0) / width, v: Math.min(...window) });
    }
    const growth =
      slope(
        points.map((point) => point.t),
        points.map((point) => point.v),
      ) * span;
    const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
    const limit = Math.max(relative * mean, absolute);
    return {
      name: `${name} plateaus`,
      ok: growth <= limit,
      detail: `last half grew ${mb(growth)}${floors ? " (floor per tenth)" : ""} over ${span} s (limit ${mb(limit)}), mean ${mb(mean)}`,
    };
  };
  const steady = (name: string, pick: (sample: SoakSample) => number, marginMs: number): SoakCheck => {
    const before = median(first.map(pick));
    const after = median(half.map(pick));
    return {
      name: `${name} steady`,
      ok: after <= before * 3 + marginMs,
      detail: `median ${after.toFixed(1)} ms in the last half, ${before.toFixed(1)} ms in the first (limit 3× + ${marginMs} ms)`,
    };
  };
  const workerCount = samples[0]?.workerRss.length ?? 0;
  // A Node process's heap is still sizing itself in the first minutes: a short run judges
  // RSS against a wider bound (gross leaks only); runs of 10 minutes and more use 8 MB.
  const rssFloor = span * 2 >= 600 ? 8e6 : 32e6;
  const keptUp = median(half.map((sample) => sample.donePerS));
  const offered = median(half.map((sample) => sample.submittedPerS));
  return [
    plateau(
      "Redis used_memory",
      half.map((sample) => sample.redisUsedMemory),
      0.05,
      1e6,
    ),
    plateau(
      "control-plane RSS",
      half.map((sample) => sample.controlPlaneRss),
      0.05,
      rssFloor,
      true,
    ),
    // The leak check proper: what the control plane retains after a full collection.
    // Absent (0) in CSVs written before the probe existed.
    ...(half.some((sample) => sample.controlPlaneHeapAfterGc > 0)
      ? [
          plateau(
            "control-plane heap after GC",
            half.map((sample) => sample.controlPlaneHeapAfterGc),
            0.05,
            span * 2 >= 600 ? 2e6 : 8e6,
            true,
          ),
        ]
      : []),
    ...Array.from({ length: workerCount }, (_, i) =>
      plateau(
        `worker ${i + 1} RSS`,
        half.map((sample) => sample.workerRss[i] ?? 0),
        0.05,
        rssFloor,
        true,
      ),
    ),
    steady("worker event-loop delay p99", (sample) => sample.workerLagP99Ms, 50),
    steady("submit latency p99", (sample) => sample.submitP99Ms, 50),
    {
      name: "throughput keeps up",
      ok: keptUp >= offered * 0.8 && offered > 0 && submitErrors === 0,
      detail: `median ${keptUp.toFixed(0)} jobs/s finished in the last half for ${offered.toFixed(0)}/s submitted (${ratePerSecond}/s offered); ${submitErrors} submissions not answered 201`,
    },
  ];
}

async function writeSoakOutput(
  samples: SoakSample[],
  outDir: string,
  checks: SoakCheck[],
): Promise<string[]> {
  const workers = samples[0]?.workerRss.length ?? 0;
  const header = [
    "t_s",
    "submitted_per_s",
    "finished_per_s",
    "submit_p99_ms",
    "redis_used_memory_bytes",
    "control_plane_rss_bytes",
    "control_plane_heap_after_gc_bytes",
    "control_plane_external_bytes",
    "requests_in_flight",
    ...Array.from({ length: workers }, (_, i) => `worker${i + 1}_rss_bytes`),
    "worker_lag_p99_ms",
    "healthz_ms",
  ];
  const rows = samples.map((s) =>
    [
      s.t,
      s.submittedPerS.toFixed(1),
      s.donePerS.toFixed(1),
      s.submitP99Ms.toFixed(2),
      s.redisUsedMemory,
      s.controlPlaneRss,
      s.controlPlaneHeapAfterGc,
      s.controlPlaneExternal,
      s.requestsInFlight,
      ...s.workerRss,
      s.workerLagP99Ms.toFixed(2),
      s.healthzMs.toFixed(2),
    ].join(","),
  );
  const csv = `${outDir}/soak.csv`;
  writeFileSync(csv, `${[header.join(","), ...rows].join("\n")}\n`);
  return [csv, ...(await writeSoakChart(samples, checks, outDir))];
}
