/**
 * The queues of one API request, handed to its route by the Redis guard: each
 * comes from the process's QueueRegistry, is refused (503) while the breaker of its
 * Redis node is open, and is remembered so the request's outcome counts against
 * that node. Within a request deadline, each is the deadline-bound view of the
 * queue (Queue.withDeadline), so no script of a request answered 503 writes later.
 */
import type { Queue } from "@rqueue/shared";
import type { RedisBreaker } from "../redis/redis-breaker.js";
import type { QueueRegistry } from "./queue-registry.js";

export class RequestQueues {
  /** The Redis nodes of the queues this request used. */
  readonly nodes = new Set<string>();

  constructor(
    private readonly registry: QueueRegistry,
    private readonly breaker: RedisBreaker,
    /** When the request's scripts must have started (this host's clock); none for unbounded routes. */
    private readonly scriptsBy: number | undefined,
  ) {}

  /** The queue for a name (422 when it is not a queue name, 503 while its node is failing). */
  get(name: string): Queue {
    const queue = this.registry.get(name);
    this.enter(name);
    return this.bind(queue);
  }

  /** The queue, or 404 when no job was ever added to it. */
  async getExisting(name: string): Promise<Queue> {
    this.registry.get(name);
    this.enter(name);
    return this.bind(await this.registry.getExisting(name));
  }

  /**
   * The queue for work the request starts and leaves running (a bulk operation, a
   * benchmark run): checked against the breaker, but free of the request's deadline,
   * which would refuse its scripts half-way.
   */
  outliving(name: string): Queue {
    const queue = this.registry.get(name);
    this.enter(name);
    return queue;
  }

  private enter(name: string): void {
    const node = this.breaker.nodeOf(name);
    this.breaker.assertAvailable(node);
    this.nodes.add(node);
  }

  private bind(queue: Queue): Queue {
    return this.scriptsBy === undefined ? queue : queue.withDeadline(this.scriptsBy);
  }
}
