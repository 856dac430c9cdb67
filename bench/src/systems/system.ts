/**
 * What every benchmark needs from a queue system, so R-queue, BullMQ and Bee-Queue
 * run the very same scenarios on the same Redis. Each adapter uses the system the
 * way its documentation recommends for throughput, and lists what it sets that
 * differs from the system's defaults (printed under the table).
 */
export interface WorkerHandle {
  stop(): Promise<void>;
}

export interface AddOptions {
  /** Priority of job `i` on R-queue's 1–10 scale; systems without priorities have `priorities: false`. */
  priority?: (i: number) => number;
}

export interface QueueSystem {
  readonly name: string;
  /** Adds `count` jobs, `batchSize` per call; payloads come from `payload(i)`. */
  addBulk(
    count: number,
    batchSize: number,
    payload: (i: number) => object,
    options?: AddOptions,
  ): Promise<void>;
  addOne(payload: object): Promise<void>;
  /** Starts a worker; `onStart` runs inside the handler with the job's payload. */
  startWorker(concurrency: number, onStart?: (payload: unknown) => void): Promise<WorkerHandle>;
  /** Jobs completed so far: by the whole queue or by this process, as `completedScope` says. */
  completedCount(): Promise<number>;
  close(): Promise<void>;
}

export interface SystemFactory {
  name: string;
  priorities: boolean;
  /** Whether `completedCount()` counts the whole queue (read from Redis) or this process's workers only. */
  completedScope: "queue" | "process";
  /** Settings the adapter uses that differ from the system's defaults. */
  nonDefault: string[];
  /** Glob patterns of every key a queue of this name writes (to clean a Redis the bench does not own). */
  keyPatterns(queueName: string): string[];
  create(redisUrl: string, queueName: string): Promise<QueueSystem>;
}
