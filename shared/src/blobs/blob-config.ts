/**
 * The blob store's settings, read the same way by the control plane and the
 * worker: `RQ_BLOB_S3_BUCKET` (+ `RQ_BLOB_S3_PREFIX`, `AWS_REGION`,
 * `RQ_AWS_ENDPOINT`) for S3, else `RQ_BLOB_DIR` for a local directory;
 * `RQ_BLOB_THRESHOLD_BYTES` (64 KiB) and `RQ_BLOB_MAX_BYTES` (10 MiB).
 * Returns every problem at once, like the rest of the configuration.
 */
import { S3Client } from "@aws-sdk/client-s3";
import * as v from "valibot";
import { envWholeNumber } from "../schemas/env-number.js";
import type { BlobOffloadOptions } from "./blob-refs.js";
import { DEFAULT_BLOB_MAX_BYTES, DEFAULT_BLOB_THRESHOLD_BYTES } from "./blob-refs.js";
import { LocalBlobStore } from "./local-blob-store.js";
import { S3BlobStore } from "./s3-blob-store.js";

export interface BlobConfig {
  s3: { bucket: string; prefix: string; region: string; endpoint: string | undefined } | null;
  dir: string | null;
  thresholdBytes: number;
  maxBytes: number;
}

export type BlobConfigResult = { ok: true; config: BlobConfig | null } | { ok: false; problems: string[] };

const text = v.optional(v.pipe(v.string(), v.trim()));

/** The variables the blob store reads (also what docs/configuration.md lists). */
export const BlobEnvSchema = v.object({
  RQ_BLOB_DIR: text,
  RQ_BLOB_S3_BUCKET: text,
  RQ_BLOB_S3_PREFIX: v.optional(v.pipe(v.string(), v.trim()), ""),
  RQ_BLOB_THRESHOLD_BYTES: envWholeNumber(DEFAULT_BLOB_THRESHOLD_BYTES, 1_024, 64 * 1024 * 1024),
  RQ_BLOB_MAX_BYTES: envWholeNumber(DEFAULT_BLOB_MAX_BYTES, 1_024, 1024 * 1024 * 1024),
  AWS_REGION: text,
  AWS_DEFAULT_REGION: text,
  RQ_AWS_ENDPOINT: text,
});

export function parseBlobConfig(env: Record<string, string | undefined>): BlobConfigResult {
  // A blank variable counts as unset, as everywhere else in the configuration.
  const present = Object.fromEntries(
    Object.keys(BlobEnvSchema.entries).flatMap((name) => (env[name]?.trim() ? [[name, env[name]]] : [])),
  );
  const parsed = v.safeParse(BlobEnvSchema, present);
  // Every problem at once: the region check runs even when a size is malformed.
  const problems = parsed.success
    ? []
    : parsed.issues.map((issue) => `${v.getDotPath(issue) ?? "environment"}: ${issue.message}`);
  if (present.RQ_BLOB_S3_BUCKET && !(present.AWS_REGION || present.AWS_DEFAULT_REGION)) {
    problems.push("AWS_REGION: required when RQ_BLOB_S3_BUCKET is set");
  }
  if (!parsed.success) return { ok: false, problems };
  const e = parsed.output;
  const bucket = e.RQ_BLOB_S3_BUCKET;
  const dir = e.RQ_BLOB_DIR;
  const region = e.AWS_REGION || e.AWS_DEFAULT_REGION || "";
  const thresholdBytes = e.RQ_BLOB_THRESHOLD_BYTES;
  const maxBytes = e.RQ_BLOB_MAX_BYTES;
  if (maxBytes < thresholdBytes) problems.push("RQ_BLOB_MAX_BYTES: must be at least RQ_BLOB_THRESHOLD_BYTES");
  if (problems.length > 0) return { ok: false, problems };
  if (!bucket && !dir) return { ok: true, config: null };
  return {
    ok: true,
    config: {
      s3: bucket
        ? {
            bucket,
            prefix: e.RQ_BLOB_S3_PREFIX,
            region,
            endpoint: e.RQ_AWS_ENDPOINT || undefined,
          }
        : null,
      dir: bucket ? null : (dir as string),
      thresholdBytes,
      maxBytes,
    },
  };
}

export function openBlobStore(config: BlobConfig, s3Client?: S3Client): BlobOffloadOptions {
  const store = config.s3
    ? new S3BlobStore(
        s3Client ??
          new S3Client({
            region: config.s3.region,
            ...(config.s3.endpoint ? { endpoint: config.s3.endpoint, forcePathStyle: true } : {}),
          }),
        config.s3.bucket,
        config.s3.prefix,
      )
    : new LocalBlobStore(config.dir as string);
  return { store, thresholdBytes: config.thresholdBytes, maxBytes: config.maxBytes };
}
