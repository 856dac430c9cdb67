/**
 * Size and range limits on everything that comes from outside. The engine enforces
 * them before anything is written; the control plane reuses them for HTTP bodies.
 */
export const LIMITS = {
  /** Default cap on one job's serialized payload. Configurable per Queue. */
  payloadBytes: 512 * 1024,
  /** Cap on a job's serialized result. */
  resultBytes: 512 * 1024,
  /** Cap on the small JSON detail that may accompany a progress report. */
  progressDetailBytes: 4 * 1024,
  /** Error message kept per failed attempt. */
  errorMessageChars: 2_000,
  /**
   * Stack kept on a job's latest failed attempt only (older attempts keep their
   * message): lines, header included, then characters. Dead-lettered jobs are kept by
   * the 100,000, so every byte here is multiplied by that (issue 12, defect 12).
   */
  errorStackLines: 8,
  errorStackChars: 1_500,
  /** Failed attempts remembered on a job (oldest dropped first). */
  errorHistory: 10,
  /** Bytes of a job's whole error history (JSON); the oldest attempts go first beyond it. */
  errorBytes: 8_192,
  /** Jobs in one bulk add. */
  batchJobs: 1_000,
  /**
   * Parents named by all the jobs of one bulk add together: each costs a lookup in the
   * script, so 1,000 jobs × 1,000 parents would hold Redis for seconds.
   */
  batchParents: 20_000,
  /** Distinct job types per queue: each type has its own indexes, so they must stay few. */
  typesPerQueue: 1_000,
  idempotencyKeyChars: 256,
  /** Group (tenant) keys, in characters. */
  groupKeyChars: 128,
  maxDelayMs: 366 * 24 * 3600 * 1000,
  maxTimeoutMs: 24 * 3600 * 1000,
  maxBackoffMs: 7 * 24 * 3600 * 1000,
  /** Nesting depth accepted in JSON payloads, results and details. */
  jsonDepth: 64,
  /** Log lines kept per job, and characters per line. */
  logLines: 200,
  logLineChars: 2_000,
  listPageMax: 200,
  /** Debounce keys, in characters (like idempotency keys). */
  debounceKeyChars: 256,
} as const;

/** Parents named across a batch, counted before any entry is validated (sizes first). */
export function countParents(inputs: readonly unknown[]): number {
  let count = 0;
  for (const input of inputs) {
    const dependsOn = (input as { dependsOn?: unknown } | null)?.dependsOn;
    if (Array.isArray(dependsOn)) count += dependsOn.length;
  }
  return count;
}
