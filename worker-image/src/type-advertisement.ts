/**
 * What this worker tells the type registry about each handler: the payload's JSON
 * Schema, generated from the handler's valibot schema, and the defaults its jobs
 * get. Built once at start; the heartbeat re-advertises it on every beat.
 *
 * The schema is generated with unconvertible parts (transforms, custom checks)
 * left out, so it is never stricter than the valibot schema the handler really
 * applies: the control plane refuses only payloads the handler would refuse too.
 */
import {
  DEFAULT_SETTINGS,
  schemaVersion,
  TYPE_SCHEMA_MAX_BYTES,
  type TypeAdvertisement,
} from "@rqueue/shared";
import { toJsonSchema } from "@valibot/to-json-schema";
import type { HandlerDefinition } from "./handler-definition.js";
import type { HandlerRegistry } from "./handler-registry.js";

/** The payload schema as JSON Schema (draft-07); null when it is too large to advertise. */
export function payloadJsonSchema(definition: HandlerDefinition): Record<string, unknown> | null {
  const schema = toJsonSchema(definition.payload, { errorMode: "ignore" }) as Record<string, unknown>;
  return Buffer.byteLength(JSON.stringify(schema)) > TYPE_SCHEMA_MAX_BYTES ? null : schema;
}

export function advertisement(definition: HandlerDefinition): TypeAdvertisement {
  const schema = payloadJsonSchema(definition);
  const cap = definition.retry?.maxAttempts ?? null;
  return {
    type: definition.type,
    schema,
    schemaVersion: schemaVersion(schema),
    defaults: {
      timeoutMs: definition.timeoutMs ?? DEFAULT_SETTINGS.defaultTimeoutMs,
      maxAttempts: Math.min(cap ?? Number.POSITIVE_INFINITY, DEFAULT_SETTINGS.defaultMaxAttempts),
      backoff: { ...DEFAULT_SETTINGS.defaultBackoff },
      maxAttemptsCap: cap,
      concurrency: definition.concurrency ?? null,
      isolation: definition.isolation ?? "main",
    },
  };
}

export function advertisements(registry: HandlerRegistry): TypeAdvertisement[] {
  return [...registry.values()].map(({ definition }) => advertisement(definition));
}
