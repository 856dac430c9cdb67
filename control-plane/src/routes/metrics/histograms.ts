/**
 * Arithmetic on the engine's latency histograms (bucket upper bound in ms → count):
 * merging queues and the fixed power-of-two buckets Prometheus gets (percentiles are the
 * engine's `summarizeLatency`).
 */
export function mergeHistograms(histograms: readonly Map<number, number>[]): Map<number, number> {
  const merged = new Map<number, number>();
  for (const histogram of histograms) {
    for (const [bound, count] of histogram) merged.set(bound, (merged.get(bound) ?? 0) + count);
  }
  return merged;
}

/** Prometheus `le` bounds in seconds: 2^k - 1 ms for k = 0..28 (up to ~3 days), which engine buckets align with. */
export const PROMETHEUS_BOUNDS_MS = Array.from({ length: 29 }, (_, k) => 2 ** k - 1);

/** Cumulative counts at each Prometheus bound, plus the total for +Inf. */
export function cumulativeBuckets(histogram: Map<number, number>): { counts: number[]; total: number } {
  const counts = PROMETHEUS_BOUNDS_MS.map(() => 0);
  let total = 0;
  for (const [bound, n] of histogram) {
    total += n;
    PROMETHEUS_BOUNDS_MS.forEach((le, i) => {
      // Engine bounds are 2^(b/4) - 1; compare with a tolerance for float rounding.
      if (bound <= le + 1e-9) counts[i] = (counts[i] ?? 0) + n;
    });
  }
  return { counts, total };
}
