/**
 * The 60 s soak inside `make test`: 50 jobs/s with retention caps small enough
 * (500 completed, 100 failed, 2,000 events) that Redis reaches its plateau within
 * the first half, then the pass rule of soak.ts over the last. SOAK_SECONDS overrides.
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { runSoak } from "./soak.js";

it("memory and RSS plateau and latency stays steady under the realistic mix", async () => {
  const outDir = fileURLToPath(new URL("../results/", import.meta.url));
  mkdirSync(outDir, { recursive: true });
  const result = await runSoak({
    durationMs: Number(process.env.SOAK_SECONDS ?? 60) * 1000,
    sampleMs: 2_000,
    ratePerSecond: 50,
    workers: 2,
    keepCompleted: 500,
    keepFailed: 100,
    eventsMaxLen: 2_000,
    outDir,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  const report = result.checks.map((check) => `${check.ok ? "PASS" : "FAIL"} ${check.name}: ${check.detail}`);
  process.stdout.write(`${report.join("\n")}\nwritten: ${result.files.join(", ")}\n`);
  expect(result.checks.filter((check) => !check.ok).map((check) => `${check.name}: ${check.detail}`)).toEqual(
    [],
  );
});
