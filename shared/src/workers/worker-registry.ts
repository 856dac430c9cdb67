/**
 * The worker registry: each worker writes its health snapshot on every heartbeat;
 * readers get every worker with its status in O(workers), never a key scan.
 *
 *   rq:{workers}:all      sorted set  workerId -> last heartbeat (ms)
 *   rq:{workers}:w:<id>   string      the worker's latest snapshot (JSON), with a TTL
 *
 * A worker silent for 3 heartbeat intervals is `stale`; after `removeAfterMs` it is
 * dropped from the registry by whoever reads it next.
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

export async function recordHeartbeat(
  redis: RedisClient,
  snapshot: WorkerSnapshot,
  now = Date.now(),
): Promise<void> {
  const ttlMs = snapshot.heartbeatMs * 20;
  await redis
    .multi()
    .zadd(WORKERS_KEY, now, snapshot.id)
    .set(workerKey(snapshot.id), JSON.stringify(snapshot), "PX", ttlMs)
    .exec();
}

export async function deregisterWorker(redis: RedisClient, workerId: string): Promise<void> {
  await redis.multi().zrem(WORKERS_KEY, workerId).del(workerKey(workerId)).exec();
}

export interface ListWorkersOptions {
  now?: number;
  /** Workers silent for longer are removed from the registry. Default 10 minutes. */
  removeAfterMs?: number;
}

export async function listWorkers(
  redis: RedisClient,
  options: ListWorkersOptions = {},
): Promise<WorkerEntry[]> {
  const now = options.now ?? Date.now();
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
