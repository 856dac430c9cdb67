import { describe, expect, it } from "vitest";
import {
  formatValue,
  jsonLines,
  markdownTable,
  type RunInfo,
  type TableRow,
  targetMet,
  textTable,
} from "./table.js";

const systems = ["R-queue", "BullMQ 5.81", "Bee-Queue 2.0"];
const drain: TableRow = {
  label: "drain, 20k no-op, concurrency 50",
  unit: "jobs/s",
  values: { "R-queue": 40_000, "BullMQ 5.81": 20_000, "Bee-Queue 2.0": 32_000 },
  targets: [
    { versus: "BullMQ 5.81", atLeast: 2 },
    { versus: "Bee-Queue 2.0", atLeast: 1.5 },
  ],
};
const latency: TableRow = {
  label: "add→start p99",
  unit: "ms",
  values: { "R-queue": 1.25, "BullMQ 5.81": 1.3 },
  targets: [{ atMost: 2 }, { versus: "BullMQ 5.81", atMost: 1 }],
};
const info: RunInfo = {
  date: "2026-12-01 22:30 UTC",
  cores: 2,
  cpu: "Test CPU",
  redisVersion: "7.0.15",
  node: "v20.0.0",
  rounds: "median of 3 rounds",
  nonDefault: { "BullMQ 5.81": ["removeOnComplete {count: 10000}"], "R-queue": [] },
  notes: ["a shared machine"],
};

describe("formatValue", () => {
  it("abbreviates rates and keeps small units precise", () => {
    expect(formatValue(34_123, "jobs/s")).toBe("34.1k");
    expect(formatValue(5_912, "req/s")).toBe("5.91k");
    expect(formatValue(950, "jobs/s")).toBe("950");
    expect(formatValue(0.4321, "ms")).toBe("0.43");
    expect(formatValue(14.26, "ms")).toBe("14.3");
    expect(formatValue(195.04, "bytes")).toBe("195.0");
    expect(formatValue(63.4, "%")).toBe("63%");
    expect(formatValue(undefined, "ms")).toBe("—");
  });
});

describe("targetMet", () => {
  it("judges ratios against another system and absolute bounds", () => {
    expect(drain.targets?.map((t) => targetMet(drain, t))).toEqual([true, false]);
    expect(latency.targets?.map((t) => targetMet(latency, t))).toEqual([true, true]);
  });

  it("cannot judge a ratio against a system that has no value", () => {
    expect(targetMet({ ...latency, values: { "R-queue": 1 } }, { versus: "BullMQ 5.81", atMost: 1 })).toBe(
      undefined,
    );
  });
});

describe("textTable", () => {
  it("aligns columns and prints the ratio against each other system", () => {
    const lines = textTable([drain, latency], systems).split("\n");
    expect(lines[0]).toMatch(/^figure\s+R-queue\s+BullMQ 5.81\s+Bee-Queue 2.0\s+ratio/);
    expect(lines[1]).toContain("40.0k");
    expect(lines[1]).toContain("2.00× BullMQ, 1.25× Bee-Queue");
    expect(lines[1]).toMatch(/≥ 2× BullMQ, ≥ 1.5× Bee-Queue\s+no$/);
    expect(lines[2]).toContain("—"); // Bee-Queue has no latency figure here
    expect(lines[2]).toMatch(/≤ 2.00 ms, ≤ 1× BullMQ\s+yes$/);
  });
});

describe("markdownTable", () => {
  it("has the run's date, cores and Redis version, a right-aligned table and the non-default settings", () => {
    const md = markdownTable([drain, latency], systems, info).split("\n");
    expect(md[0]).toBe(
      "Measured 2026-12-01 22:30 UTC, 2 cores (Test CPU), Redis 7.0.15, Node v20.0.0, median of 3 rounds.",
    );
    expect(md[2]).toMatch(
      /^\| figure +\| R-queue \| BullMQ 5.81 \| Bee-Queue 2.0 \| +ratio \(R-queue ÷\) \| +target \| met \|$/,
    );
    expect(md[3]).toMatch(/^\| -+ \| -{6}: \| -{10}: \| -{12}: \| -+: \| -+: \| --: \|$/);
    expect(md[4]).toMatch(
      /^\| drain, 20k no-op, concurrency 50 \(jobs\/s\) +\| +40.0k \| +20.0k \| +32.0k \|/,
    );
    expect(new Set(md.slice(2, 6).map((line) => line.length)).size).toBe(1);
    expect(md).toContain("- BullMQ 5.81: removeOnComplete {count: 10000}");
    expect(md.some((line) => line.startsWith("- R-queue"))).toBe(false);
    expect(md.at(-1)).toBe("- a shared machine");
  });

  it("escapes pipes inside cells", () => {
    const md = markdownTable([{ ...drain, label: "a | b" }], systems, info);
    expect(md).toContain("a \\| b (jobs/s)");
  });
});

describe("jsonLines", () => {
  it("prints one parseable object per line", () => {
    const results = [
      { scenario: "drain", system: "R-queue", figures: { jobsPerSecond: 1 }, settings: { jobs: 10 } },
      { scenario: "drain", system: "BullMQ 5.81", figures: { jobsPerSecond: 2 }, settings: { jobs: 10 } },
    ];
    const lines = jsonLines(results).split("\n");
    expect(lines).toHaveLength(2);
    expect(lines.map((line) => JSON.parse(line))).toEqual(results);
  });
});
