/**
 * HTTP submit throughput: autocannon against `POST /v1/jobs` of one control-plane
 * process (50 keep-alive connections, 10 s by default), on a redis-server this
 * script starts (or BENCH_REDIS_URL). Prints requests/s and latency percentiles.
 *
 *   npx tsx --conditions=development bench/src/http-submit.ts
 *   HTTP_BENCH_CONNECTIONS=50 HTTP_BENCH_SECONDS=10 LOG_LEVEL=info …
 */
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { startRedisServer } from "../../shared/test/redis-harness.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CONNECTIONS = Number(process.env.HTTP_BENCH_CONNECTIONS ?? 50);
const SECONDS = Number(process.env.HTTP_BENCH_SECONDS ?? 10);
const PORT = Number(process.env.HTTP_BENCH_PORT ?? 18_480);

const server = process.env.BENCH_REDIS_URL ? undefined : await startRedisServer();
const redisUrl = process.env.BENCH_REDIS_URL ?? server?.url ?? "";
const api = spawn(
  process.execPath,
  ["--conditions=development", "--import", "tsx", join(ROOT, "control-plane/src/main.ts")],
  {
    env: {
      ...process.env,
      REDIS_URL: redisUrl,
      PORT: String(PORT),
      HOST: "127.0.0.1",
      // Production logging level by default: one access log line per request is part of the cost.
      LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
    },
    stdio: ["ignore", "ignore", "inherit"],
  },
);

const base = `http://127.0.0.1:${PORT}`;
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${base}/readyz`)).ok) break;
  } catch {
    // not listening yet
  }
  if (i > 100) throw new Error("control plane did not become ready");
  await new Promise((resolve) => setTimeout(resolve, 100));
}

const run = (duration: number) =>
  autocannon({
    url: `${base}/v1/jobs`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ type: "bench", payload: { user: 42, action: "send-welcome-email" } }),
    connections: CONNECTIONS,
    pipelining: 1,
    duration,
  });

await run(2); // warm-up: JIT, script loading, connection pools
const result = await run(SECONDS);
api.kill("SIGTERM");
await new Promise((resolve) => api.once("exit", resolve));
await server?.stop();

const summary = {
  connections: CONNECTIONS,
  seconds: SECONDS,
  requests: result.requests.total,
  requestsPerSecond: Math.round(result.requests.average),
  latencyMs: {
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
  },
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
};
process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
