/**
 * `@rqueue/shared/blobs`: the blob store for large payloads and results, used by
 * the control plane (submit, read) and the worker (handler input and output).
 * A subpath of its own, so the engine and the browser contract never load the AWS SDK.
 */
export * from "./blob-config.js";
export * from "./blob-refs.js";
export * from "./blob-store.js";
export * from "./local-blob-store.js";
export * from "./s3-blob-store.js";
