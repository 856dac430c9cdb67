/**
 * Large payloads and results at the worker's boundary: the handler sees the
 * payload behind a blob reference (fetched and digest-checked before it runs),
 * its parents' results resolved the same way, and a result over the threshold is
 * stored in the blob store with only its reference going back to Redis.
 * A reference whose object is gone dead-letters the job: no retry brings it back.
 */
import type { JobContext, JobHandler, JsonValue, LeasedJob } from "@rqueue/shared";
import { UnrecoverableError } from "@rqueue/shared";
import { BlobMissingError, type BlobOffloadOptions, offloadValue, resolveValue } from "@rqueue/shared/blobs";

export function withBlobOffload(handler: JobHandler, blobs: BlobOffloadOptions): JobHandler {
  return async (job: LeasedJob, context: JobContext) => {
    let payload: JsonValue;
    try {
      payload = await resolveValue(blobs.store, job.payload);
    } catch (error) {
      if (error instanceof BlobMissingError)
        throw new UnrecoverableError(`payload unavailable: ${error.message}`);
      throw error;
    }
    const result = await handler(payload === job.payload ? job : { ...job, payload }, context);
    if (result === undefined) return result;
    return offloadValue(blobs, "result", result as JsonValue);
  };
}

/** Parents' results with every blob reference resolved (a missing one becomes null, as a trimmed parent does). */
export async function resolveParentResults(
  store: BlobOffloadOptions["store"],
  results: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const entries = await Promise.all(
    Object.entries(results).map(async ([id, value]) => {
      try {
        return [id, await resolveValue(store, value as JsonValue)] as const;
      } catch (error) {
        if (error instanceof BlobMissingError) return [id, null] as const;
        throw error;
      }
    }),
  );
  return Object.fromEntries(entries);
}
