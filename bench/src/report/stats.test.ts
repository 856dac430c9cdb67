import { describe, expect, it } from "vitest";
import { median, medianFigures, percentile, ratio } from "./stats.js";

describe("median", () => {
  it("takes the middle of an odd count and the mean of the middle two of an even one", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeUndefined();
  });

  it("does not reorder its input", () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe("percentile", () => {
  it("uses the nearest rank", () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    expect(percentile(samples, 0.5)).toBe(50);
    expect(percentile(samples, 0.99)).toBe(99);
    expect(percentile(samples, 1)).toBe(100);
    expect(percentile(samples, 0)).toBe(1);
    expect(percentile([], 0.5)).toBeUndefined();
  });
});

describe("ratio", () => {
  it("divides ours by theirs, and gives nothing without both or with a zero divisor", () => {
    expect(ratio(30, 15)).toBe(2);
    expect(ratio(undefined, 15)).toBeUndefined();
    expect(ratio(30, undefined)).toBeUndefined();
    expect(ratio(30, 0)).toBeUndefined();
  });
});

describe("medianFigures", () => {
  it("takes each figure's median over the rounds that have it", () => {
    expect(medianFigures([{ a: 1 }, { a: 3 }, { a: 2, b: 5 }])).toEqual({ a: 2, b: 5 });
    expect(medianFigures([])).toEqual({});
  });
});
