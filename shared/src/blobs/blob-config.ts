/**
 * The blob store's settings, read the same way by the control plane and the
 * worker: `RQ_BLOB_S3_BUCKET` (+ `RQ_BLOB_S3_PREFIX`, `AWS_REGION`,
 * `RQ_AWS_ENDPOINT`) for S3, else `RQ_BLOB_DIR` for a local directory;
 * `RQ_BLOB_THRESHOLD_BYTES` (64 KiB) and `RQ_BLOB_MAX_BYTES` (10 MiB).
 * Returns every problem at once, like the rest of the configuration.
 */
import { S3Client } from "@aws-sdk/client-s3";
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

const whole = (
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
) => {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= min && value <= max)) problems.push(`${name}: must be a whole number from ${min} to ${max}`);
  return value;
};

export function parseBlobConfig(env: Record<string, string | undefined>): BlobConfigResult {
  const problems: string[] = [];
  const bucket = env.RQ_BLOB_S3_BUCKET?.trim();
  const dir = env.RQ_BLOB_DIR?.trim();
  const region = (env.AWS_REGION || env.AWS_DEFAULT_REGION || "").trim();
  const thresholdBytes = whole(
    env,
    "RQ_BLOB_THRESHOLD_BYTES",
    DEFAULT_BLOB_THRESHOLD_BYTES,
    1_024,
    64 * 1024 * 1024,
    problems,
  );
  const maxBytes = whole(
    env,
    "RQ_BLOB_MAX_BYTES",
    DEFAULT_BLOB_MAX_BYTES,
    1_024,
    1024 * 1024 * 1024,
    problems,
  );
  if (bucket && !region) problems.push("AWS_REGION: required when RQ_BLOB_S3_BUCKET is set");
  if (maxBytes < thresholdBytes) problems.push("RQ_BLOB_MAX_BYTES: must be at least RQ_BLOB_THRESHOLD_BYTES");
  if (problems.length > 0) return { ok: false, problems };
  if (!bucket && !dir) return { ok: true, config: null };
  return {
    ok: true,
    config: {
      s3: bucket
        ? {
            bucket,
            prefix: env.RQ_BLOB_S3_PREFIX?.trim() ?? "",
            region,
            endpoint: env.RQ_AWS_ENDPOINT?.trim() || undefined,
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
