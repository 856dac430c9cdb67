/**
 * Transparent offload: a payload or result whose JSON is over the threshold is
 * written to the blob store and replaced by a small reference, which is what
 * Redis (and the archive) keep; reading resolves the reference back to the value.
 *
 * The reference is `{"$rqBlob": {"key", "bytes", "sha256"}}`. Its digest is
 * checked on read, so a corrupted or substituted object is an error, never a
 * wrong value handed to a handler.
 */
import { createHash, randomUUID } from "node:crypto";
import type { JsonValue } from "../schemas/json-value.js";
import { type BlobStore, isBlobKey } from "./blob-store.js";

export const BLOB_REF_FIELD = "$rqBlob";

export interface BlobRef {
  key: string;
  bytes: number;
  sha256: string;
}

export interface BlobOffloadOptions {
  store: BlobStore;
  /** Values whose JSON is larger than this go to the store (default 64 KiB). */
  thresholdBytes: number;
  /** Largest value accepted at all (default 10 MiB). */
  maxBytes: number;
}

export const DEFAULT_BLOB_THRESHOLD_BYTES = 64 * 1024;
export const DEFAULT_BLOB_MAX_BYTES = 10 * 1024 * 1024;

export class BlobTooLargeError extends Error {
  constructor(
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(`value is ${bytes} bytes of JSON, over the ${maxBytes}-byte limit`);
  }
}

export class BlobMissingError extends Error {}

/** The reference inside `value`, when `value` is one. */
export function blobRefOf(value: unknown): BlobRef | null {
  if (!value || typeof value !== "object" || Array.isArray(value)) return null;
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== BLOB_REF_FIELD) return null;
  const ref = (value as Record<string, unknown>)[BLOB_REF_FIELD] as Partial<BlobRef> | null;
  if (!ref || typeof ref.key !== "string" || !isBlobKey(ref.key)) return null;
  if (typeof ref.bytes !== "number" || typeof ref.sha256 !== "string") return null;
  return { key: ref.key, bytes: ref.bytes, sha256: ref.sha256 };
}

const sha256 = (body: Buffer) => createHash("sha256").update(body).digest("hex");

/** `value`, or a reference to it in the store when its JSON is over the threshold. */
export async function offloadValue(
  options: BlobOffloadOptions,
  kind: "payload" | "result",
  value: JsonValue,
  now = Date.now(),
): Promise<JsonValue> {
  if (value === null || typeof value !== "object") return value;
  const text = JSON.stringify(value);
  const bytes = Buffer.byteLength(text);
  if (bytes <= options.thresholdBytes) return value;
  if (bytes > options.maxBytes) throw new BlobTooLargeError(bytes, options.maxBytes);
  const body = Buffer.from(text);
  const key = `${new Date(now).toISOString().slice(0, 10)}/${kind}/${randomUUID()}.json`;
  await options.store.put(key, body);
  return { [BLOB_REF_FIELD]: { key, bytes, sha256: sha256(body) } };
}

/** The value behind a reference (or `value` itself when it is none). */
export async function resolveValue(store: BlobStore, value: JsonValue): Promise<JsonValue> {
  const ref = blobRefOf(value);
  if (!ref) return value;
  const body = await store.get(ref.key);
  if (!body) throw new BlobMissingError(`blob ${ref.key} is gone (deleted by retention?)`);
  if (sha256(body) !== ref.sha256) throw new BlobMissingError(`blob ${ref.key} does not match its digest`);
  return JSON.parse(body.toString("utf8")) as JsonValue;
}
