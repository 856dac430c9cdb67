/**
 * One `Queue` object per queue name, reused across requests (each holds its
 * registered scripts), plus the list of known queues from the engine's registry
 * set. Names that come from clients are bounded so the cache cannot grow forever.
 * Routes take their queues through their request's RequestQueues, which adds the
 * Redis breaker and the request deadline on top.
 */
import {
  QUEUES_KEY,
  Queue,
  QueueNameSchema,
  type QueueSettingsInput,
  type RedisClient,
} from "@rqueue/shared";
import * as v from "valibot";
import { ApiError, unprocessable } from "../http/api-error.js";

const MAX_CACHED = 1_000;

export class QueueRegistry {
  private readonly cache = new Map<string, Queue>();

  constructor(
    private readonly redis: RedisClient,
    private readonly replicaAck?: { replicas: number; timeoutMs: number },
    /** The settings every queue of this process uses (the memory budget from RQ_QUEUE_MAX_BYTES). */
    private readonly settings: QueueSettingsInput = {},
  ) {}

  /** The queue object for a name (validated: 422 when the name is not a queue name). */
  get(name: string): Queue {
    let queue = this.cache.get(name);
    if (queue) return queue;
    if (!v.is(QueueNameSchema, name)) {
      throw unprocessable([
        { path: "queue", message: "must be 1-64 characters of letters, digits, '_', '.', '-'" },
      ]);
    }
    queue = new Queue({
      redis: this.redis,
      name,
      settings: this.settings,
      ...(this.replicaAck ? { replicaAck: this.replicaAck } : {}),
    });
    if (this.cache.size >= MAX_CACHED) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(name, queue);
    return queue;
  }

  /** Every queue that ever had a job added, sorted by name. */
  async names(): Promise<string[]> {
    return (await this.redis.smembers(QUEUES_KEY)).sort();
  }

  /** The queue, or 404 when no job was ever added to it (guards admin actions against typos). */
  async getExisting(name: string): Promise<Queue> {
    const queue = this.get(name);
    if ((await this.redis.sismember(QUEUES_KEY, name)) !== 1) {
      throw new ApiError(404, "queue_not_found", `queue ${name} does not exist`);
    }
    return queue;
  }
}
