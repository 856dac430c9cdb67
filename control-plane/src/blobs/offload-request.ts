/**
 * Large payloads at the API's boundary: before a submitted job is validated, a
 * payload over the blob threshold is written to the blob store and replaced by
 * its reference, so Redis and the engine's size limit only ever see the small
 * reference. Reading a job back (GET /v1/jobs/:id) resolves references, so API
 * clients see their values; lists and search return the references (a page of
 * 10 MiB values would help no one).
 */
import type { Job, JsonValue } from "@rqueue/shared";
import {
  BlobMissingError,
  type BlobOffloadOptions,
  BlobTooLargeError,
  offloadValue,
  resolveValue,
} from "@rqueue/shared/blobs";
import { unprocessable } from "../http/api-error.js";

/** Replaces `entry.payload` by a reference when it is over the threshold; 422 when over the limit. */
export async function offloadSubmittedPayload(
  blobs: BlobOffloadOptions | null,
  entry: unknown,
  path: string,
): Promise<void> {
  if (!blobs || !entry || typeof entry !== "object" || Array.isArray(entry)) return;
  const record = entry as Record<string, unknown>;
  if (record.payload === undefined) return;
  try {
    record.payload = await offloadValue(blobs, "payload", record.payload as JsonValue);
  } catch (error) {
    if (!(error instanceof BlobTooLargeError)) throw error;
    throw unprocessable([{ path: path ? `${path}.payload` : "payload", message: error.message }]);
  }
}

/** The job with its payload and result read back from the blob store; a reference whose blob is gone stays as it is. */
export async function resolveJobBlobs<T extends Pick<Job, "payload" | "result">>(
  blobs: BlobOffloadOptions | null,
  job: T,
): Promise<T> {
  if (!blobs) return job;
  const resolve = (value: JsonValue) =>
    resolveValue(blobs.store, value).catch((error: unknown) => {
      if (error instanceof BlobMissingError) return value;
      throw error;
    });
  const [payload, result] = await Promise.all([
    resolve(job.payload),
    job.result === null ? null : resolve(job.result),
  ]);
  return payload === job.payload && result === job.result ? job : { ...job, payload, result };
}
