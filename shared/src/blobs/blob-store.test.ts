/**
 * Blob offload round trips on both stores: the local directory for real, S3
 * through aws-sdk-client-mock backed by an in-memory bucket (no AWS here).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, describe, expect, it } from "vitest";
import {
  BLOB_REF_FIELD,
  BlobMissingError,
  BlobTooLargeError,
  blobRefOf,
  offloadValue,
  resolveValue,
} from "./blob-refs.js";
import type { BlobStore } from "./blob-store.js";
import { LocalBlobStore } from "./local-blob-store.js";
import { S3BlobStore } from "./s3-blob-store.js";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function localStore(): BlobStore {
  const dir = mkdtempSync(join(tmpdir(), "rq-blobs-"));
  dirs.push(dir);
  return new LocalBlobStore(dir);
}

function s3Store(): { store: BlobStore; objects: Map<string, Buffer> } {
  const objects = new Map<string, Buffer>();
  const client = new S3Client({
    region: "eu-west-1",
    credentials: { accessKeyId: "x", secretAccessKey: "y" },
  });
  const mock = mockClient(client);
  mock.on(PutObjectCommand).callsFake((input) => {
    expect(input.ServerSideEncryption).toBe("AES256");
    objects.set(input.Key, Buffer.from(input.Body));
    return {};
  });
  mock.on(GetObjectCommand).callsFake((input) => {
    const body = objects.get(input.Key);
    if (!body) throw new NoSuchKey({ message: "no such key", $metadata: {} });
    return { Body: { transformToByteArray: async () => new Uint8Array(body) } };
  });
  mock.on(ListObjectsV2Command).callsFake((input) => {
    const keys = [...objects.keys()].filter((key) => key.startsWith(input.Prefix ?? ""));
    if (input.Delimiter) {
      const prefixes = new Set(
        keys.map((key) => key.slice(0, key.indexOf("/", (input.Prefix ?? "").length) + 1)),
      );
      return { CommonPrefixes: [...prefixes].map((Prefix) => ({ Prefix })) };
    }
    return { Contents: keys.map((Key) => ({ Key })) };
  });
  mock.on(DeleteObjectsCommand).callsFake((input) => {
    for (const { Key } of input.Delete.Objects) objects.delete(Key);
    return {};
  });
  return { store: new S3BlobStore(client, "bucket", "blobs/"), objects };
}

const big = (kib: number) => ({
  rows: Array.from({ length: kib }, (_, i) => ({ i, text: "x".repeat(1_000) })),
});

describe.each([
  ["local directory", () => localStore()],
  ["S3", () => s3Store().store],
])("blob offload on %s", (_name, makeStore) => {
  it("keeps small values inline, offloads large ones and resolves them back exactly", async () => {
    const store = makeStore();
    const options = { store, thresholdBytes: 64 * 1024, maxBytes: 1024 * 1024 };
    const small = { hello: "world" };
    expect(await offloadValue(options, "payload", small)).toEqual(small);
    const value = big(200);
    const ref = await offloadValue(options, "result", value);
    expect(blobRefOf(ref)?.bytes).toBe(Buffer.byteLength(JSON.stringify(value)));
    expect(JSON.stringify(ref).length).toBeLessThan(200);
    expect(await resolveValue(store, ref)).toEqual(value);
    expect(await resolveValue(store, small)).toEqual(small);
    await expect(offloadValue(options, "payload", big(2_000))).rejects.toBeInstanceOf(BlobTooLargeError);
  });

  it("refuses a reference whose object is gone or does not match its digest", async () => {
    const store = makeStore();
    const options = { store, thresholdBytes: 1_024, maxBytes: 1024 * 1024 };
    const ref = (await offloadValue(options, "payload", big(5))) as Record<
      string,
      { key: string; sha256: string }
    >;
    const forged = { [BLOB_REF_FIELD]: { ...ref[BLOB_REF_FIELD], sha256: "0".repeat(64) } };
    await expect(resolveValue(store, forged)).rejects.toBeInstanceOf(BlobMissingError);
    const missing = {
      [BLOB_REF_FIELD]: {
        ...ref[BLOB_REF_FIELD],
        key: "2026-01-01/payload/00000000-0000-4000-8000-000000000000.json",
      },
    };
    await expect(resolveValue(store, missing)).rejects.toBeInstanceOf(BlobMissingError);
    // Not a key this module made: treated as an ordinary value, never read from the store.
    const outside = { [BLOB_REF_FIELD]: { key: "../../etc/passwd", bytes: 1, sha256: "x" } };
    expect(await resolveValue(store, outside)).toEqual(outside);
  });

  it("deletes whole days older than the retention, and only those", async () => {
    const store = makeStore();
    const options = { store, thresholdBytes: 1_024, maxBytes: 1024 * 1024 };
    const day = 86_400_000;
    const now = Date.UTC(2026, 11, 10, 12);
    const old = await offloadValue(options, "payload", big(3), now - 3 * day);
    const recent = await offloadValue(options, "payload", big(3), now);
    expect(await store.deleteDaysBefore("2026-12-09")).toBe(1);
    await expect(resolveValue(store, old)).rejects.toBeInstanceOf(BlobMissingError);
    expect(await resolveValue(store, recent)).toEqual(big(3));
  });
});
