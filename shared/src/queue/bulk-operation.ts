/**
 * Bulk operations by filter: retry, cancel or delete every job of one queue in
 * one state (and type, priority), not just a page. The runner walks the filter
 * newest first with the listing's stable cursor, 100 jobs a chunk, and records
 * its progress in Redis after each chunk, where any control-plane replica reads
 * it and can ask it to stop. A job that moved on meanwhile (no longer failed, say)
 * is counted as skipped. A runner that stops beating (its process died) shows
 * as `interrupted`.
 *
 *   rq:{operations}:recent   sorted set  id -> created ms (newest 100 kept)
 *   rq:{operations}:op:<id>  hash       the operation as JSON, `cancel` flag (expires after 7 days)
 */
import { randomUUID } from "node:crypto";
import type { JobFilter, Operation, OperationAction } from "../api/api-types.js";
import { IllegalTransitionError, JobNotFoundError, LeaseLostError } from "../errors.js";
import { OPERATIONS_KEY, operationKey } from "../keys.js";
import type { RedisClient } from "../redis/connection.js";
import type { Queue } from "./queue.js";

const CHUNK = 100;
const KEEP_RECENT = 100;
const TTL_SECONDS = 7 * 24 * 3600;
/** A running operation not updated for this long lost its runner. */
export const OPERATION_STALE_MS = 30_000;

const OPERATION_ID = /^[0-9a-f-]{36}$/;

function decode(raw: string | null | undefined, now: number): Operation | null {
  if (!raw) return null;
  const operation = JSON.parse(raw) as Operation;
  if (operation.status === "running" && now - Date.parse(operation.updatedAt) > OPERATION_STALE_MS) {
    return { ...operation, status: "interrupted" };
  }
  return operation;
}

export async function getOperation(
  redis: RedisClient,
  id: string,
  now = Date.now(),
): Promise<Operation | null> {
  if (!OPERATION_ID.test(id)) return null;
  return decode(await redis.hget(operationKey(id), "json"), now);
}

/** The newest operations first, at most `limit`. */
export async function listOperations(redis: RedisClient, limit = 20, now = Date.now()): Promise<Operation[]> {
  const ids = await redis.zrevrange(OPERATIONS_KEY, 0, limit - 1);
  if (ids.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hget(operationKey(id), "json");
  const replies = (await pipeline.exec()) ?? [];
  return replies
    .map(([, raw]) => decode(raw as string | null, now))
    .filter((op): op is Operation => op !== null);
}

/** Asks the runner to stop after its current chunk; false when there is no such running operation. */
export async function requestOperationCancel(redis: RedisClient, id: string): Promise<boolean> {
  const operation = await getOperation(redis, id);
  if (operation?.status !== "running") return false;
  await redis.hset(operationKey(id), "cancel", "1");
  return true;
}

async function save(redis: RedisClient, operation: Operation): Promise<void> {
  await redis.hset(operationKey(operation.id), "json", JSON.stringify(operation));
}

export interface StartedOperation {
  operation: Operation;
  /** Settles when the runner stops (never rejects: failures are recorded on the operation). */
  done: Promise<Operation>;
}

/** Records a new operation and starts running it in this process. */
export async function startBulkOperation(
  redis: RedisClient,
  queue: Queue,
  options: { action: OperationAction; filter: JobFilter; estimated: number; createdBy: string },
): Promise<StartedOperation> {
  const now = new Date().toISOString();
  const operation: Operation = {
    id: randomUUID(),
    action: options.action,
    filter: options.filter,
    status: "running",
    estimated: options.estimated,
    examined: 0,
    applied: 0,
    skipped: 0,
    createdBy: options.createdBy,
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
    error: null,
  };
  const key = operationKey(operation.id);
  await redis
    .multi()
    .hset(key, "json", JSON.stringify(operation))
    .expire(key, TTL_SECONDS)
    .zadd(OPERATIONS_KEY, Date.now(), operation.id)
    .zremrangebyrank(OPERATIONS_KEY, 0, -KEEP_RECENT - 1)
    .exec();
  return { operation, done: run(redis, queue, operation) };
}

const isSkippable = (error: unknown) =>
  error instanceof IllegalTransitionError ||
  error instanceof JobNotFoundError ||
  error instanceof LeaseLostError;

function actionOf(queue: Queue, action: OperationAction): (id: string) => Promise<unknown> {
  switch (action) {
    case "retry":
      return (id) => queue.retry(id);
    case "cancel":
      return (id) => queue.cancel(id);
    case "delete":
      return (id) => queue.remove(id);
  }
}

async function run(redis: RedisClient, queue: Queue, start: Operation): Promise<Operation> {
  const operation = { ...start };
  const apply = actionOf(queue, operation.action);
  const { state, type, priority } = operation.filter;
  let cursor: string | undefined;
  try {
    while (true) {
      if ((await redis.hget(operationKey(operation.id), "cancel")) === "1") {
        operation.status = "canceled";
        break;
      }
      const page = await queue.list({ state, type, priority, limit: CHUNK, cursor });
      const outcomes = await Promise.allSettled(page.items.map((job) => apply(job.id)));
      for (const outcome of outcomes) {
        if (outcome.status === "fulfilled") operation.applied++;
        else if (isSkippable(outcome.reason)) operation.skipped++;
        else throw outcome.reason;
      }
      operation.examined += page.items.length;
      operation.updatedAt = new Date().toISOString();
      if (!page.nextCursor) {
        operation.status = "completed";
        break;
      }
      await save(redis, operation);
      cursor = page.nextCursor;
    }
  } catch (error) {
    operation.status = "failed";
    operation.error = error instanceof Error ? error.message : String(error);
  }
  const finished = new Date().toISOString();
  operation.updatedAt = finished;
  operation.finishedAt = finished;
  try {
    await save(redis, operation);
  } catch {
    // Redis is gone: readers will see the last chunk's progress turn `interrupted`.
  }
  return operation;
}
