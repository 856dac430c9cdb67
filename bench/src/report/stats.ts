/** The arithmetic the report rests on: medians of rounds, latency percentiles, ratios. */

/** The middle value (the mean of the two middle ones for an even count); undefined when empty. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Nearest-rank percentile (`p` in 0..1) of unsorted samples; undefined when empty. */
export function percentile(samples: readonly number[], p: number): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1];
}

/** `ours / theirs`, or undefined when either is missing or the divisor is zero. */
export function ratio(ours: number | undefined, theirs: number | undefined): number | undefined {
  if (ours === undefined || theirs === undefined || theirs === 0 || !Number.isFinite(theirs))
    return undefined;
  return ours / theirs;
}

/** Per figure, the median over rounds: `[{a: 1}, {a: 3}, {a: 2, b: 5}]` → `{a: 2, b: 5}`. */
export function medianFigures(rounds: readonly Record<string, number>[]): Record<string, number> {
  const names = [...new Set(rounds.flatMap((round) => Object.keys(round)))];
  const out: Record<string, number> = {};
  for (const name of names) {
    const value = median(rounds.map((round) => round[name]).filter((v): v is number => v !== undefined));
    if (value !== undefined) out[name] = value;
  }
  return out;
}
