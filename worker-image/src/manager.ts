/**
 * The manager: one ConsumeLoop per queue, sharing one command connection (on
 * Cluster one socket per node, each command with a timeout, so a hung node holds
 * up only the loops of the queues it serves, and each of them logs its stall). The
 * worker's concurrency is split across queues by weight, each loop takes only
 * the job types this worker has handlers for, and per-type timeouts and
 * concurrency caps come from the handler definitions. Stopping drains every
 * queue at once and hands back what did not finish.
 */
import {
  type AbortReason,
  ConsumeLoop,
  Consumer,
  type JobHandler,
  type LeasedJob,
  type Outcome,
  type RedisClient,
} from "@rqueue/shared";
import type { QueueWeight } from "./config.js";
import { type HandlerRegistry, perType } from "./handler-registry.js";

/** How a job left the worker: finished (completed / failed) or given up (aborted). */
export type JobEnd = Outcome["kind"] | AbortReason;

export interface ManagerOptions {
  redis: RedisClient;
  workerId: string;
  queues: QueueWeight[];
  concurrency: number;
  leaseMs: number;
  /** See ConsumerOptions.replicaAck. */
  replicaAck?: { replicas: number; timeoutMs: number };
  /** Outcomes a report could not get onto enough replicas (they are sent again). */
  onUnreplicated?(queue: string, outcomes: number): void;
  registry: HandlerRegistry;
  handler: JobHandler;
  /** Test hook: shorter waits make housekeeping and lease recovery quicker. */
  maintainEveryMs?: number;
  /** A queue's loop logs a stall when its Redis calls go unanswered this long. */
  stallAfterMs?: number;
  onError(error: unknown, during: string, queue: string): void;
  /** A queue's loop got no answer from Redis for `stalledMs` (its node hung or failing). */
  onStall?(queue: string, stalledMs: number): void;
  onResume?(queue: string, stalledMs: number): void;
  onJobStart?(job: LeasedJob): void;
  onJobEnd?(job: LeasedJob, outcome: JobEnd, durationMs: number, error?: unknown): void;
}

/**
 * Splits `total` slots by weight (largest remainder), at least one per queue,
 * so a light queue is never starved by a heavy one.
 */
export function splitConcurrency(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const spare = Math.max(total - weights.length, 0);
  const exact = weights.map((weight) => (spare * weight) / sum);
  const shares = exact.map((share) => 1 + Math.floor(share));
  let left = Math.max(total, weights.length) - shares.reduce((a, b) => a + b, 0);
  const byRemainder = exact
    .map((share, index) => ({ index, remainder: share - Math.floor(share) }))
    .sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  for (const { index } of byRemainder) {
    if (left <= 0) break;
    shares[index] = (shares[index] ?? 0) + 1;
    left--;
  }
  return shares;
}

export class Manager {
  private readonly loops: ConsumeLoop[];
  private readonly consumers = new Map<string, Consumer>();
  readonly concurrencyByQueue: Record<string, number>;

  constructor(options: ManagerOptions) {
    const types = [...options.registry.keys()];
    const typeTimeoutsMs = perType(options.registry, (definition) => definition.timeoutMs);
    const typeConcurrency = perType(options.registry, (definition) => definition.concurrency);
    const typeMaxAttempts = perType(options.registry, (definition) => definition.retry?.maxAttempts);
    const shares = splitConcurrency(
      options.concurrency,
      options.queues.map((queue) => queue.weight),
    );
    this.concurrencyByQueue = {};
    this.loops = options.queues.map((queue, index) => {
      const concurrency = shares[index] ?? 1;
      this.concurrencyByQueue[queue.name] = concurrency;
      const consumer = new Consumer({
        redis: options.redis,
        queue: queue.name,
        workerId: options.workerId,
        leaseMs: options.leaseMs,
        types,
        ...(options.replicaAck ? { replicaAck: options.replicaAck } : {}),
        onUnreplicated: (outcomes) => options.onUnreplicated?.(queue.name, outcomes),
      });
      this.consumers.set(queue.name, consumer);
      return new ConsumeLoop({
        consumer,
        handler: options.handler,
        concurrency,
        ...(typeTimeoutsMs ? { typeTimeoutsMs } : {}),
        ...(typeConcurrency ? { typeConcurrency } : {}),
        ...(typeMaxAttempts ? { typeMaxAttempts } : {}),
        ...(options.maintainEveryMs ? { maintainEveryMs: options.maintainEveryMs } : {}),
        onError: (error, during) => options.onError(error, during, queue.name),
        ...(options.stallAfterMs ? { stallAfterMs: options.stallAfterMs } : {}),
        onStall: (stalledMs) => options.onStall?.(queue.name, stalledMs),
        onResume: (stalledMs) => options.onResume?.(queue.name, stalledMs),
        ...(options.onJobStart ? { onJobStart: options.onJobStart } : {}),
        ...(options.onJobEnd ? { onJobEnd: options.onJobEnd } : {}),
      });
    });
  }

  get activeCount(): number {
    return this.loops.reduce((sum, loop) => sum + loop.activeCount, 0);
  }

  /** The results of a running job's parents, by parent id. */
  parentResults(job: LeasedJob): Promise<Record<string, unknown>> {
    const consumer = this.consumers.get(job.queue);
    if (!consumer) throw new Error(`queue ${job.queue} is not served by this worker`);
    return consumer.parentResults(job);
  }

  start(): void {
    for (const loop of this.loops) loop.start();
  }

  /** Drains every queue for up to `drainMs`, then hands back the rest; returns how many were handed back. */
  async stop(drainMs: number): Promise<number> {
    const released = await Promise.all(this.loops.map((loop) => loop.stop(drainMs)));
    return released.reduce((a, b) => a + b, 0);
  }
}
