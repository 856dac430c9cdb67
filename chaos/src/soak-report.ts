/**
 * Redraws a soak's chart and verdict from its samples alone:
 * `npx tsx --conditions=development chaos/src/soak-report.ts <soak.csv> <out dir> <name>`
 * reads the CSV that `make soak` wrote, applies the pass rule of soak.ts again (the
 * offered rate from SOAK_RATE, default 300; submissions the run counted as not
 * answered 201 from SOAK_ERRORS, default 0, since the CSV does not hold them), prints
 * each check and writes <name>.svg and <name>.png. README's 30-minute chart is made so.
 */
import { readFileSync } from "node:fs";
import { judgeSoak } from "./soak.js";
import { type SoakSample, writeSoakChart } from "./soak-chart.js";

const [csvPath, outDir, name] = process.argv.slice(2);
if (!csvPath || !outDir || !name) {
  process.stderr.write("usage: soak-report.ts <soak.csv> <out dir> <name>\n");
  process.exit(2);
}
const [header = "", ...lines] = readFileSync(csvPath, "utf8").trim().split("\n");
const columns = header.split(",");
const workerColumns = columns.filter((column) => /^worker\d+_rss_bytes$/.test(column));
const samples: SoakSample[] = lines.map((line) => {
  const cells = line.split(",").map(Number);
  const cell = (column: string) => cells[columns.indexOf(column)] ?? 0;
  return {
    t: cell("t_s"),
    submittedPerS: cell("submitted_per_s"),
    donePerS: cell("finished_per_s"),
    submitP99Ms: cell("submit_p99_ms"),
    redisUsedMemory: cell("redis_used_memory_bytes"),
    controlPlaneRss: cell("control_plane_rss_bytes"),
    controlPlaneHeapAfterGc: cell("control_plane_heap_after_gc_bytes"),
    controlPlaneExternal: cell("control_plane_external_bytes"),
    requestsInFlight: cell("requests_in_flight"),
    workerRss: workerColumns.map(cell),
    workerLagP99Ms: cell("worker_lag_p99_ms"),
    healthzMs: cell("healthz_ms"),
  };
});
const checks = judgeSoak(samples, Number(process.env.SOAK_RATE ?? 300), Number(process.env.SOAK_ERRORS ?? 0));
for (const check of checks)
  process.stdout.write(`${check.ok ? "PASS" : "FAIL"} ${check.name}: ${check.detail}\n`);
process.stdout.write(`written: ${(await writeSoakChart(samples, checks, outDir, name)).join(", ")}\n`);
