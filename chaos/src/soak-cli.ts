/**
 * `make soak DURATION=30m`: runs the soak (see soak.ts) for DURATION (s, m or h;
 * default 10m) with the engine's default retention, SOAK_RATE jobs/s (default 300)
 * and SOAK_WORKERS processes (default 2), writes chaos/results/soak.{csv,svg,png}
 * and exits 1 unless every check passed. SOAK_KEEP_COMPLETED, SOAK_KEEP_FAILED and
 * SOAK_EVENTS_MAX_LEN set the queue's retention caps: at the defaults (100,000 failed
 * jobs) 30 failed jobs/s reach the cap only after 55 minutes, so a shorter run that
 * should plateau needs a smaller cap.
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runSoak } from "./soak.js";

function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text.trim());
  if (!match) throw new Error(`DURATION must look like 60s, 30m or 2h (got ${JSON.stringify(text)})`);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000 }[(match[2] ?? "s") as "s" | "m" | "h"];
  return Number(match[1]) * unit;
}

const durationMs = parseDuration(process.env.DURATION || "10m");
const cap = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
const caps = {
  keepCompleted: cap("SOAK_KEEP_COMPLETED"),
  keepFailed: cap("SOAK_KEEP_FAILED"),
  eventsMaxLen: cap("SOAK_EVENTS_MAX_LEN"),
};
const outDir = fileURLToPath(new URL("../results/", import.meta.url));
mkdirSync(outDir, { recursive: true });
const result = await runSoak({
  durationMs,
  // A point every 2 s for short runs, every 10 s for long ones: charts of a few hundred points.
  sampleMs: durationMs <= 10 * 60_000 ? 2_000 : 10_000,
  ratePerSecond: Number(process.env.SOAK_RATE ?? 300),
  workers: Number(process.env.SOAK_WORKERS ?? 2),
  ...Object.fromEntries(Object.entries(caps).filter(([, value]) => value !== undefined)),
  outDir,
  log: (line) => process.stderr.write(`${line}\n`),
});
for (const check of result.checks) {
  process.stdout.write(`${check.ok ? "PASS" : "FAIL"} ${check.name}: ${check.detail}\n`);
}
process.stdout.write(`written: ${result.files.join(", ")}\n`);
process.exit(result.passed ? 0 : 1);
