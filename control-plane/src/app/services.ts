/**
 * What the routes need, built once per process (or per test): the Redis command
 * connection, the queue objects, the breaker, event readers for long polls and
 * event streams, the job-type checker, the API keys, the ECS reader, the archive, and the draining
 * flag set at shutdown.
 */
import type { RedisClient } from "@rqueue/shared";
import type { BlobOffloadOptions } from "@rqueue/shared/blobs";
import type { ArchiveService } from "../archive/archive-service.js";
import type { EcsReader } from "../cloud/ecs-reader.js";
import { ApiKeyStore } from "../config/api-keys.js";
import type { Config } from "../config/config.js";
import { EventHub } from "../events/event-hub.js";
import type { Logger } from "../logging/logger.js";
import { QueueRegistry } from "../queues/queue-registry.js";
import { JobEvents } from "../redis/job-events.js";
import { RedisBreaker } from "../redis/redis-breaker.js";
import { TypeChecker } from "../types/type-checker.js";

export interface AppServices {
  config: Config;
  redis: RedisClient;
  log: Logger;
  queues: QueueRegistry;
  breaker: RedisBreaker;
  events: JobEvents;
  /** The shared tails of the queues' event streams behind GET /v1/events. */
  eventHub: EventHub;
  /** Refuses unregistered job types and payloads that fail their advertised schema. */
  types: TypeChecker;
  apiKeys: ApiKeyStore;
  ecs: EcsReader | null;
  /** The archive of finished jobs (lookups after Redis trimmed them, search); null when not configured. */
  archive: ArchiveService | null;
  /** The blob store for payloads and results over the threshold; null when not configured. */
  blobs: BlobOffloadOptions | null;
  /** Set at shutdown: /readyz answers 503 so load balancers stop sending traffic. */
  lifecycle: { draining: boolean };
}

export function createServices(
  config: Config,
  redis: RedisClient,
  log: Logger,
  ecs: EcsReader | null = null,
  archive: ArchiveService | null = null,
  blobs: BlobOffloadOptions | null = null,
): AppServices {
  // Long polls and event streams share the hub's tails: one blocking connection per watched queue.
  const eventHub = new EventHub(redis, log);
  return {
    config,
    redis,
    log,
    queues: new QueueRegistry(redis, config.submitAck, { maxQueueBytes: config.queueMaxBytes }),
    breaker: new RedisBreaker(redis),
    events: new JobEvents(eventHub),
    eventHub,
    types: new TypeChecker(redis, config.requireRegisteredTypes),
    apiKeys: new ApiKeyStore(config.apiKeys),
    ecs,
    archive,
    blobs,
    lifecycle: { draining: false },
  };
}
