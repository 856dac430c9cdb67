/**
 * Where large payloads and results live when they are too big for Redis: a
 * store of immutable objects by key. Keys start with the UTC day they were
 * written (`2026-12-01/…`), so retention deletes whole days, never object by object.
 */
export interface BlobStore {
  /** "local" or "s3", for logs. */
  readonly kind: string;
  put(key: string, body: Buffer): Promise<void>;
  /** Null when no object has this key (deleted by retention). */
  get(key: string): Promise<Buffer | null>;
  /** Deletes every object written on days before `day` (YYYY-MM-DD); returns how many days went. */
  deleteDaysBefore(day: string): Promise<number>;
}

const KEY = /^\d{4}-\d{2}-\d{2}\/[a-z]+\/[0-9a-f-]{36}\.json$/;

/** Only keys this module made are accepted: a reference from outside can name nothing else. */
export const isBlobKey = (key: string) => KEY.test(key);
