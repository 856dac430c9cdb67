/**
 * Idempotency fingerprints: a job submitted again with an idempotency key it used
 * before gets the original job back only when the body is the same; with another
 * body it is refused (Stripe's rule), naming both fingerprints, because silently
 * answering with a job the caller did not describe hides their bug. The
 * fingerprint is a hash of the canonical submitted fields (object keys sorted;
 * an offloaded payload by its content digest, not its random blob key).
 */
import { createHash } from "node:crypto";
import { RQueueError } from "../errors.js";

/** add-jobs.lua's reply code for a reused key with another body. */
export const IDEMPOTENCY_CONFLICT = -8;

export class IdempotencyConflictError extends RQueueError {
  constructor(
    readonly idempotencyKey: string,
    readonly existingJobId: string,
    readonly existingFingerprint: string,
    readonly fingerprint: string,
  ) {
    super(
      "idempotency_conflict",
      `idempotency key "${idempotencyKey}" was used for job ${existingJobId} with a different body ` +
        `(fingerprint ${existingFingerprint}; this body's is ${fingerprint}): send a new key for a new job`,
    );
  }
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const blob = record.$rqBlob as { sha256?: unknown; bytes?: unknown } | undefined;
    if (Object.keys(record).length === 1 && blob && typeof blob.sha256 === "string") {
      return { $rqBlob: { sha256: blob.sha256, bytes: blob.bytes } };
    }
    return Object.fromEntries(
      Object.keys(record)
        .filter((key) => record[key] !== undefined)
        .sort()
        .map((key) => [key, canonical(record[key])]),
    );
  }
  return value;
}

/**
 * 32 hex digits over every submitted field but the key itself and `ref`, which only
 * names the job within one request.
 */
export function jobFingerprint(job: Record<string, unknown>): string {
  const { idempotencyKey: _key, ref: _ref, ...fields } = job;
  return createHash("sha256")
    .update(JSON.stringify(canonical(fields)))
    .digest("hex")
    .slice(0, 32);
}
