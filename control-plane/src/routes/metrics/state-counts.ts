/**
 * Summing per-queue state counts for the cross-queue views.
 */
import { JOB_STATES, type StateCounts } from "@rqueue/shared";

export function sumCounts(all: readonly StateCounts[]): StateCounts {
  const total = Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as StateCounts;
  for (const counts of all) for (const state of JOB_STATES) total[state] += counts[state];
  return total;
}
