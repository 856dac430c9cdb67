/**
 * `make bench`: R-queue against BullMQ on the same Redis, in the same run. Starts
 * its own redis-server (or uses BENCH_REDIS_URL), flushes it between scenarios,
 * prints a table and writes bench/results/latest.json.
 * Scenarios: drain (20k no-op jobs, concurrency 50), bulk enqueue (batches of
 * 1,000), Redis bytes per pending job, add→start latency at 1k jobs/s, and
 * dependency fan-out/fan-in with the longest script call (R-queue only).
 * BENCH_ONLY=drain,bulk,memory,latency,deps picks scenarios; BENCH_ONLY=scale runs the
 * dashboard queries over a million pending jobs (BENCH_SCALE_JOBS), which the default skips.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { startRedisServer } from "../../shared/test/redis-harness.js";
import { bulkEnqueue } from "./scenarios/bulk-enqueue.js";
import { dependencyScale } from "./scenarios/dependencies.js";
import { drain } from "./scenarios/drain.js";
import { addToStartLatency } from "./scenarios/latency.js";
import { listingAtScale } from "./scenarios/listing-scale.js";
import { bytesPerPendingJob } from "./scenarios/memory.js";
import { bullmq } from "./systems/bullmq.js";
import { rqueue } from "./systems/rqueue.js";
import type { QueueSystem, SystemFactory } from "./systems/system.js";

const JOBS = Number(process.env.BENCH_JOBS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const only = process.env.BENCH_ONLY?.split(",");

const server = process.env.BENCH_REDIS_URL ? undefined : await startRedisServer();
const url = process.env.BENCH_REDIS_URL ?? server?.url ?? "";
const admin = new Redis(url);

let round = 0;
async function withSystem<T>(factory: SystemFactory, run: (system: QueueSystem) => Promise<T>): Promise<T> {
  await admin.flushall();
  const system = await factory.create(url, `bench${round++}`);
  try {
    return await run(system);
  } finally {
    await system.close();
  }
}

/** Median of several rounds, alternating systems so neither always runs on a warmer machine. */
async function measure(name: string, run: (system: QueueSystem) => Promise<number>) {
  const results: Record<string, number[]> = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const factory of r % 2 ? [bullmq, rqueue] : [rqueue, bullmq]) {
      const value = await withSystem(factory, run);
      results[factory.name] = [...(results[factory.name] ?? []), value];
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  const row = Object.fromEntries(Object.entries(results).map(([system, values]) => [system, median(values)]));
  console.log(
    name.padEnd(46),
    Object.entries(row)
      .map(([s, v]) => `${s}: ${v.toFixed(1)}`)
      .join("   "),
  );
  return { scenario: name, rounds: results, median: row };
}

const rows = [];
const wanted = (key: string) => !only || only.includes(key);
console.log(`Redis ${url}, ${JOBS} jobs, median of ${ROUNDS} rounds\n`);
if (wanted("drain"))
  rows.push(await measure(`drain jobs/s (${JOBS} no-op, concurrency 50)`, (s) => drain(s, JOBS, 50)));
if (wanted("bulk"))
  rows.push(await measure("bulk enqueue jobs/s (batches of 1,000)", (s) => bulkEnqueue(s, JOBS, 1_000)));
if (wanted("memory"))
  rows.push(await measure("Redis bytes per pending job", (s) => bytesPerPendingJob(s, admin, JOBS)));
if (wanted("latency")) {
  for (const percentile of ["p50", "p99"] as const) {
    rows.push(
      await measure(
        `add→start latency ms ${percentile} (1k jobs/s)`,
        async (s) => (await addToStartLatency(s, 1_000, 3))[percentile],
      ),
    );
  }
}

if (wanted("deps")) {
  await admin.flushall();
  const phases = await dependencyScale(url, admin);
  for (const result of phases) {
    console.log(
      `${result.phase}: ${result.ms} ms, longest script call ${result.longestScriptMs.toFixed(2)} ms (${result.longestScript})`,
    );
  }
  rows.push({ scenario: "dependencies at scale (R-queue)", rounds: {}, median: {}, phases });
}

// At scale: not in the default run (a million jobs take a while to add).
if (only?.includes("scale")) {
  await admin.flushall();
  const results = await listingAtScale(url, Number(process.env.BENCH_SCALE_JOBS ?? 1_000_000));
  for (const result of results) console.log(`${result.query}: ${result.medianMs} ms (median of 21)`);
  rows.push({ scenario: "dashboard queries at scale (R-queue)", rounds: {}, median: {}, results });
}

const out = join(dirname(fileURLToPath(import.meta.url)), "..", "results", "latest.json");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ at: new Date().toISOString(), jobs: JOBS, rows }, null, 2));
console.log(`\nwritten to ${out}`);
admin.disconnect();
await server?.stop();
process.exit(0);
