/**
 * Circuit breakers in front of Redis, one per node, so that while a node is down or
 * hung the API answers 503 at once for the queues it serves instead of letting
 * requests pile up — and queues on healthy nodes go on answering (on Redis Cluster a
 * queue lives in one slot, served by one master; standalone Redis is one node):
 *   - every node is blocked while the connection as a whole is not ready;
 *   - a node opens for `openMs` after `threshold` consecutive failures or deadline
 *     misses of requests that touched only that node's queues;
 *   - it closes again on the first such request that succeeds once the window passed.
 * A request learns which nodes it touches through its RequestQueues, which every
 * route takes its queues from (queues/request-queues.ts).
 */
import { nodeServing, queueKeys, type RedisClient, RedisUnavailableError } from "@rqueue/shared";

export interface RedisBreakerOptions {
  /** Consecutive failures that open a node's breaker. */
  threshold?: number;
  openMs?: number;
  now?: () => number;
}

/** The node name standalone Redis is judged under. */
export const STANDALONE_NODE = "redis";

interface NodeHealth {
  failures: number;
  openUntil: number;
}

/** Queues whose key is remembered (as many as the queue registry keeps). */
const MAX_QUEUE_KEYS = 1_000;

export class RedisBreaker {
  private readonly health = new Map<string, NodeHealth>();
  /** A key of each queue, for its slot on Cluster (built once per queue: every request asks). */
  private readonly queueKey = new Map<string, string>();
  private readonly threshold: number;
  private readonly openMs: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: RedisClient,
    options: RedisBreakerOptions = {},
  ) {
    this.threshold = options.threshold ?? 2;
    this.openMs = options.openMs ?? 1_000;
    this.now = options.now ?? Date.now;
  }

  /** The node serving a queue now: `host:port` of its slot's master on Cluster. */
  nodeOf(queue: string): string {
    let key = this.queueKey.get(queue);
    if (key === undefined) {
      if (this.queueKey.size >= MAX_QUEUE_KEYS) this.queueKey.clear();
      key = queueKeys(queue).events;
      this.queueKey.set(queue, key);
    }
    return nodeServing(this.redis, key) ?? STANDALONE_NODE;
  }

  /**
   * Why Redis should not be tried now: the connection is not ready, or (given a
   * node) that node's breaker is open; null when it may.
   */
  blockedReason(node?: string): string | null {
    if (this.redis.status !== "ready") return `Redis connection is ${this.redis.status}`;
    if (node !== undefined && this.now() < (this.health.get(node)?.openUntil ?? 0)) {
      return node === STANDALONE_NODE
        ? "Redis is failing; circuit breaker open"
        : `Redis node ${node} is failing; circuit breaker open`;
    }
    return null;
  }

  /** Throws RedisUnavailableError when Redis (or that node) should not be tried now. */
  assertAvailable(node?: string): void {
    const reason = this.blockedReason(node);
    if (reason) throw new RedisUnavailableError(reason, this.retryAfterSeconds(node));
  }

  /** Records a request's outcome against the node it touched (several: not attributable). */
  settle(nodes: ReadonlySet<string>, failed: boolean): void {
    if (nodes.size !== 1) return;
    const [node] = nodes as Set<string>;
    if (failed) this.recordFailure(node as string);
    else this.recordSuccess(node as string);
  }

  recordSuccess(node: string = STANDALONE_NODE): void {
    this.health.delete(node);
  }

  recordFailure(node: string = STANDALONE_NODE): void {
    const health = this.health.get(node) ?? { failures: 0, openUntil: 0 };
    health.failures++;
    if (health.failures >= this.threshold) health.openUntil = this.now() + this.openMs;
    this.health.set(node, health);
  }

  retryAfterSeconds(node: string = STANDALONE_NODE): number {
    const openUntil = this.health.get(node)?.openUntil ?? 0;
    return Math.max(1, Math.ceil((openUntil - this.now()) / 1000));
  }
}
