/**
 * A one-second server-side cache for the metrics snapshot with single flight:
 * however many dashboards poll, each replica computes the snapshot at most once
 * per second per filter. Each entry carries a weak ETag of its body, so
 * unchanged polls can be answered 304.
 */
import { createHash } from "node:crypto";

interface Entry {
  at: number;
  value: Promise<{ body: string; etag: string }>;
}

const MAX_ENTRIES = 100;

export class SnapshotCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string, compute: () => Promise<unknown>): Promise<{ body: string; etag: string }> {
    const now = this.now();
    const cached = this.entries.get(key);
    if (cached && now - cached.at < this.ttlMs) return cached.value;
    const value = compute().then((snapshot) => {
      const body = JSON.stringify(snapshot);
      const hash = createHash("sha1").update(body).digest("base64url").slice(0, 22);
      return { body, etag: `W/"${hash}"` };
    });
    // A failure must not be served from the cache to later callers.
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    if (this.entries.size >= MAX_ENTRIES && !this.entries.has(key)) this.entries.clear();
    this.entries.set(key, { at: now, value });
    return value;
  }
}
