import { bucketUpperBoundMs, summarizeLatency } from "@rqueue/shared";
import { describe, expect, it } from "vitest";
import { cumulativeBuckets, mergeHistograms, PROMETHEUS_BOUNDS_MS } from "./histograms.js";

describe("histograms", () => {
  it("merges queues and computes upper-bound percentiles", () => {
    const a = new Map([[1, 90]]);
    const b = new Map([
      [1, 5],
      [15, 5],
    ]);
    const merged = mergeHistograms([a, b]);
    expect(summarizeLatency(merged)).toEqual({ count: 100, p50: 1, p95: 1, p99: 15 });
    expect(summarizeLatency(new Map())).toEqual({ count: 0, p50: null, p95: null, p99: null });
  });

  it("places engine buckets into cumulative power-of-two buckets", () => {
    const histogram = new Map([
      [bucketUpperBoundMs(4), 2],
      [bucketUpperBoundMs(5), 1],
      [bucketUpperBoundMs(40), 3],
    ]);
    const { counts, total } = cumulativeBuckets(histogram);
    expect(total).toBe(6);
    const at = (ms: number) => counts[PROMETHEUS_BOUNDS_MS.indexOf(ms)];
    expect(at(0)).toBe(0);
    expect(at(1)).toBe(2);
    expect(at(3)).toBe(3);
    expect(at(1023)).toBe(6);
  });
});
