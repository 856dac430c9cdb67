import { describe, expect, it } from "vitest";
import {
  formatBytes,
  formatCompact,
  formatCount,
  formatDuration,
  formatPercent,
  formatRate,
  formatRelative,
} from "./format.js";

describe("format", () => {
  it("compacts counts and rates", () => {
    expect(formatCompact(0)).toBe("0");
    expect(formatCompact(950)).toBe("950");
    expect(formatCompact(1234)).toBe("1.2k");
    expect(formatCompact(12_345)).toBe("12k");
    expect(formatCompact(3_400_000)).toBe("3.4M");
    expect(formatRate(0.5)).toBe("0.5/s");
    expect(formatRate(1234)).toBe("1.2k/s");
    expect(formatCount(1_234_567)).toBe("1,234,567");
  });

  it("prints durations at a readable scale", () => {
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(2.5)).toBe("2.5 ms");
    expect(formatDuration(1500)).toBe("1.5 s");
    expect(formatDuration(42_000)).toBe("42 s");
    expect(formatDuration(200_000)).toBe("3 m 20 s");
    expect(formatDuration(7_500_000)).toBe("2 h 5 m");
    expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000)).toBe("3 d 4 h");
    expect(formatDuration(null)).toBe("—");
  });

  it("prints times relative to now, past and future", () => {
    const now = Date.parse("2026-12-01T12:00:00Z");
    expect(formatRelative("2026-12-01T12:00:00Z", now)).toBe("just now");
    expect(formatRelative(now - 3_000, now)).toBe("3 s ago");
    expect(formatRelative(now - 3 * 60_000, now)).toBe("3 m ago");
    expect(formatRelative(now - 5 * 3_600_000, now)).toBe("5 h ago");
    expect(formatRelative(now - 2 * 86_400_000, now)).toBe("2 d ago");
    expect(formatRelative(now + 5 * 60_000, now)).toBe("in 5 m");
    expect(formatRelative(null, now)).toBe("—");
    expect(formatRelative("not a date", now)).toBe("—");
  });

  it("prints sizes and ratios", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(48 * 1024 * 1024)).toBe("48 MiB");
    expect(formatPercent(0.123)).toBe("12%");
    expect(formatPercent(0.05)).toBe("5%");
    expect(formatPercent(0.0123)).toBe("1.2%");
  });
});
