/**
 * The worker registry: each worker writes its health snapshot on every heartbeat;
 * readers get every worker with its status in O(workers), never a key scan.
 *
 *   rq:{workers}:all      sorted set  workerId -> last heartbeat (ms)
 *   rq:{workers}:w:<id>   string      the worker's latest snapshot (JSON), with a TTL
 *
 * A worker silent for 3 heartbeat intervals is `stale`; after `removeAfterMs` it is
 * dropped from the registry by whoever reads it next. Beats are stamped and judged
 * by Redis's clock, so a host whose clock is off neither looks stale nor hides.
 */
import { WORKERS_KEY, workerKey } from "../keys.js";
import type { RedisClient } from "../redis/connection.js";

export interface WorkerSnapshot {
  id: string;
  host: string;
  pid: number;
  /** ECS task ARN, when running on ECS. */
  taskArn: string | null;
  version: string;
  startedAt: string;
  queues: string[];
  concurrency: number;
  activeJobs: number;
  processed: number;
  failed: number;
  memoryRssBytes: number;
  eventLoopLagMs: number;
  /** How often this worker heartbeats; readers judge staleness by it. */
  heartbeatMs: number;
}

export type WorkerStatus = "healthy" | "stale";

export interface WorkerEntry extends WorkerSnapshot {
  status: WorkerStatus;
  lastHeartbeatAt: string;
}

export const STALE_AFTER_HEARTBEATS = 3;

// Both keys share the {workers} hash tag, so each script runs on one node, whose clock it reads.
const REDIS_NOW = "local t = redis.call('TIME') return t[1] * 1000 + math.floor(t[2] / 1000)";
const RECORD_BEAT = `local t = redis.call('TIME')
local now = ARGV[3] ~= '' and tonumber(ARGV[3]) or t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[4])
return now`;

/** Records a beat, stamped by Redis's clock (or at `atMs`, to replay an old one). */
export async function recordHeartbeat(
  redis: RedisClient,
  snapshot: WorkerSnapshot,
  atMs?: number,
): Promise<void> {
  const ttlMs = snapshot.heartbeatMs * 20;
  await redis.eval(
    RECORD_BEAT,
    2,
    WORKERS_KEY,
    workerKey(snapshot.id),
    snapshot.id,
    JSON.stringify(snapshot),
    atMs === undefined ? "" : Math.floor(atMs),
    ttlMs,
  );
}

/** Redis's clock as seen by the node holding the registry, epoch ms. */
export async function registryNow(redis: RedisClient): Promise<number> {
  return Number(await redis.eval(REDIS_NOW, 1, WORKERS_KEY));
}

export async function deregisterWorker(redis: RedisClient, workerId: string): Promise<void> {
  await redis.multi().zrem(WORKERS_KEY, workerId).del(workerKey(workerId)).exec();
}

export interface ListWorkersOptions {
  /** The time to judge staleness at; Redis's clock when absent (a host's own may be off). */
  now?: number;
  /** Workers silent for longer are removed from the registry. Default 10 minutes. */
  removeAfterMs?: number;
}

export async function listWorkers(
  redis: RedisClient,
  options: ListWorkersOptions = {},
): Promise<WorkerEntry[]> {
  const now = options.now ?? (await registryNow(redis));
  const removeAfterMs = options.removeAfterMs ?? 600_000;
  const gone = await redis.zrangebyscore(WORKERS_KEY, "-inf", now - removeAfterMs);
  if (gone.length > 0) {
    await redis
      .multi()
      .zrem(WORKERS_KEY, ...gone)
      .del(...gone.map(workerKey))
      .exec();
  }
  const flat = await redis.zrange(WORKERS_KEY, 0, -1, "WITHSCORES");
  if (flat.length === 0) return [];
  const ids: string[] = [];
  const beats: number[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    ids.push(flat[i] as string);
    beats.push(Number(flat[i + 1]));
  }
  const snapshots = await redis.mget(...ids.map(workerKey));
  const entries: WorkerEntry[] = [];
  snapshots.forEach((json, index) => {
    if (!json) return; // expired snapshot: the next sweep removes the id
    const snapshot = JSON.parse(json) as WorkerSnapshot;
    const lastBeat = beats[index] ?? 0;
    const stale = now - lastBeat > snapshot.heartbeatMs * STALE_AFTER_HEARTBEATS;
    entries.push({
      ...snapshot,
      status: stale ? "stale" : "healthy",
      lastHeartbeatAt: new Date(lastBeat).toISOString(),
    });
  });
  return entries;
}
