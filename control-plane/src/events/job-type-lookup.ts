/**
 * The job types of the jobs event-stream entries name, for streams filtered by
 * type: entries carry job seqs only, so the type is read from each job's hash once
 * (one pipeline per batch of entries, on the queue's slot) and remembered — a job's
 * type never changes. Bounded: the cache starts over past MAX_CACHED jobs. A job
 * already deleted (e.g. `removed`) has no type and matches no type filter.
 */
import { queueKeys, type RedisClient } from "@rqueue/shared";

const MAX_CACHED = 200_000;

export class JobTypeLookup {
  private readonly cache = new Map<string, string | null>();

  constructor(private readonly redis: RedisClient) {}

  async typesOf(queue: string, seqs: readonly string[]): Promise<Map<string, string | null>> {
    const found = new Map<string, string | null>();
    const missing: string[] = [];
    for (const seq of seqs) {
      const cached = this.cache.get(`${queue}:${seq}`);
      if (cached === undefined) missing.push(seq);
      else found.set(seq, cached);
    }
    if (missing.length === 0) return found;
    const keys = queueKeys(queue);
    const pipeline = this.redis.pipeline();
    for (const seq of missing) pipeline.hget(keys.job(seq), "t");
    const replies = (await pipeline.exec()) ?? [];
    if (this.cache.size + missing.length > MAX_CACHED) this.cache.clear();
    missing.forEach((seq, index) => {
      const [error, value] = replies[index] ?? [null, null];
      if (error) throw error;
      const jobType = typeof value === "string" ? value : null;
      found.set(seq, jobType);
      if (jobType !== null) this.cache.set(`${queue}:${seq}`, jobType);
    });
    return found;
  }
}
