/**
 * The job-type registry: each worker advertises, per queue it serves, the job types
 * it has handlers for — the payload's JSON Schema and the type's defaults — with
 * every heartbeat. The control plane reads it to refuse jobs no worker can run and
 * payloads the handler would reject, and to list types with their live workers.
 *
 *   rq:{queue}:type-registry        hash        type -> advertisement (JSON)
 *   rq:{queue}:type-workers:<type>  sorted set  workerId -> when its advertisement lapses (ms)
 *
 * Per queue (one hash tag), so each write is one single-slot script on Cluster.
 * A type stays registered once advertised ("ever registered"); its workers lapse
 * after three missed heartbeats and are swept after ten minutes. Stamped by
 * Redis's clock, as the worker registry is.
 */
import { createHash } from "node:crypto";
import { queueKeys } from "../keys.js";
import type { RedisClient } from "../redis/connection.js";
import { LIMITS } from "../schemas/limits.js";
import { STALE_AFTER_HEARTBEATS } from "./worker-registry.js";

/** Largest payload schema a worker advertises (JSON bytes); a larger one is advertised without it. */
export const TYPE_SCHEMA_MAX_BYTES = 64 * 1024;
const SWEEP_AFTER_MS = 600_000;

/** What a type's jobs get when they set nothing themselves. */
export interface TypeDefaults {
  timeoutMs: number;
  maxAttempts: number;
  backoff: { strategy: "exponential" | "fixed"; delayMs: number; maxDelayMs: number; jitter: boolean };
  /** The handler's cap on attempts, whatever the producer asks for; null when none. */
  maxAttemptsCap: number | null;
  /** The most jobs of this type one worker runs at once per queue; null when only the worker's concurrency limits it. */
  concurrency: number | null;
  isolation: "main" | "thread";
}

export interface TypeAdvertisement {
  type: string;
  /** JSON Schema (draft-07) of the payload; null when it was too large to advertise. */
  schema: Record<string, unknown> | null;
  /** Hash of the schema's JSON: validators are compiled once per version. */
  schemaVersion: string;
  defaults: TypeDefaults;
}

export interface RegisteredType extends TypeAdvertisement {
  /** When a worker last advertised it (ISO time). */
  updatedAt: string;
}

export interface RegisteredTypeWithWorkers extends RegisteredType {
  /** Ids of the workers whose advertisement of it is current. */
  workers: string[];
}

/** The version of a schema: a short hash of its JSON. */
export function schemaVersion(schema: Record<string, unknown> | null): string {
  return createHash("sha256").update(JSON.stringify(schema)).digest("hex").slice(0, 16);
}

// KEYS[1] registry hash, KEYS[2..] type-workers sets (in ARGV order).
// ARGV[1] worker id, ARGV[2] lapse after (ms), ARGV[3] sweep after (ms), ARGV[4] most types,
// then per type: its name, its advertisement JSON. Stored as `<now ms>|<JSON>`: the JSON
// passes through untouched (cjson would turn empty arrays into objects and round numbers).
// Returns how many types were not recorded because the queue's registry is full.
const ADVERTISE = `local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local lapse, sweep, most = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local skipped = 0
for i = 1, #KEYS - 1 do
  local jtype, json = ARGV[3 + i * 2], ARGV[4 + i * 2]
  if redis.call('HEXISTS', KEYS[1], jtype) == 0 and redis.call('HLEN', KEYS[1]) >= most then
    skipped = skipped + 1
  else
    redis.call('HSET', KEYS[1], jtype, now .. '|' .. json)
    redis.call('ZADD', KEYS[i + 1], now + lapse, ARGV[1])
    redis.call('ZREMRANGEBYSCORE', KEYS[i + 1], '-inf', now - sweep)
  end
end
return skipped`;

// KEYS: type-workers sets. Returns, per key, the ids whose advertisement has not lapsed.
const LIVE_WORKERS = `local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local out = {}
for i = 1, #KEYS do out[i] = redis.call('ZRANGEBYSCORE', KEYS[i], '(' .. now, '+inf') end
return out`;

/**
 * Advertises a worker's types on one queue; `heartbeatMs` is how often it will
 * again. Returns how many types the queue's full registry refused.
 */
export async function advertiseTypes(
  redis: RedisClient,
  queue: string,
  workerId: string,
  heartbeatMs: number,
  types: readonly TypeAdvertisement[],
): Promise<number> {
  if (types.length === 0) return 0;
  const keys = queueKeys(queue);
  const skipped = await redis.eval(
    ADVERTISE,
    types.length + 1,
    keys.typeRegistry,
    ...types.map((ad) => keys.typeWorkers(ad.type)),
    workerId,
    heartbeatMs * STALE_AFTER_HEARTBEATS,
    SWEEP_AFTER_MS,
    LIMITS.typesPerQueue,
    ...types.flatMap((ad) => [ad.type, JSON.stringify(ad)]),
  );
  return Number(skipped);
}

/** Removes a stopping worker from its types' worker sets; the types stay registered. */
export async function withdrawTypes(
  redis: RedisClient,
  queue: string,
  workerId: string,
  types: readonly string[],
): Promise<void> {
  if (types.length === 0) return;
  const keys = queueKeys(queue);
  const pipeline = redis.pipeline();
  for (const type of types) pipeline.zrem(keys.typeWorkers(type), workerId);
  await pipeline.exec();
}

function decode(type: string, stored: string): RegisteredType {
  const bar = stored.indexOf("|");
  const ad = JSON.parse(stored.slice(bar + 1)) as TypeAdvertisement;
  return { ...ad, type, updatedAt: new Date(Number(stored.slice(0, bar))).toISOString() };
}

/** One type's advertisement on a queue, or null when no worker ever advertised it. */
export async function getRegisteredType(
  redis: RedisClient,
  queue: string,
  type: string,
): Promise<RegisteredType | null> {
  const json = await redis.hget(queueKeys(queue).typeRegistry, type);
  return json === null ? null : decode(type, json);
}

/** Every type ever advertised on a queue, with its live workers, sorted by type (two round trips). */
export async function listRegisteredTypes(
  redis: RedisClient,
  queue: string,
): Promise<RegisteredTypeWithWorkers[]> {
  const keys = queueKeys(queue);
  const all = await redis.hgetall(keys.typeRegistry);
  const types = Object.keys(all).sort();
  if (types.length === 0) return [];
  const live = (await redis.eval(LIVE_WORKERS, types.length, ...types.map(keys.typeWorkers))) as string[][];
  return types.map((type, index) => ({
    ...decode(type, all[type] as string),
    workers: live[index] ?? [],
  }));
}
