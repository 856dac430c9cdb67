/**
 * What every benchmark needs from a queue system, so R-queue and BullMQ run the
 * very same scenarios on the same Redis. Each adapter uses the system the way its
 * documentation recommends for throughput.
 */
export interface WorkerHandle {
  stop(): Promise<void>;
}

export interface QueueSystem {
  readonly name: string;
  /** Adds `count` jobs, `batchSize` per call; payloads come from `payload(i)`. */
  addBulk(count: number, batchSize: number, payload: (i: number) => object): Promise<void>;
  addOne(payload: object): Promise<void>;
  /** Starts a worker; `onStart` runs inside the handler with the job's payload. */
  startWorker(concurrency: number, onStart?: (payload: unknown) => void): Promise<WorkerHandle>;
  completedCount(): Promise<number>;
  close(): Promise<void>;
}

export interface SystemFactory {
  name: string;
  create(redisUrl: string, queueName: string): Promise<QueueSystem>;
}
