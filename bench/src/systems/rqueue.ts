/**
 * R-queue adapter: Queue.addBulk for producing (one script call per batch) and a
 * ConsumeLoop (settle-and-take batching) for consuming, all with default settings
 * (completed jobs kept by count, 10k). Completion is counted from the queue's
 * lifetime stats in Redis, so workers in other processes count too.
 */
import { ConsumeLoop, Consumer, createRedis, Queue, queueKeys } from "@rqueue/shared";
import type { SystemFactory } from "./system.js";

export const rqueue: SystemFactory = {
  name: "R-queue",
  priorities: true,
  completedScope: "queue",
  nonDefault: [],
  keyPatterns: (queueName) => [
    `${queueKeys(queueName).prefix}*`,
    "rq:{workers}:*",
    "rq:queues",
    "rq:{functions}:*",
  ],
  async create(redisUrl, queueName) {
    const redis = createRedis(redisUrl);
    const queue = new Queue({ redis, name: queueName });
    const workers: ConsumeLoop[] = [];
    return {
      name: "R-queue",
      async addBulk(count, batchSize, payload, options) {
        for (let start = 0; start < count; start += batchSize) {
          const size = Math.min(batchSize, count - start);
          await queue.addBulk(
            Array.from({ length: size }, (_, i) => ({
              type: "noop",
              payload: payload(start + i),
              ...(options?.priority ? { priority: options.priority(start + i) } : {}),
            })),
          );
        }
      },
      async addOne(payload) {
        await queue.add({ type: "noop", payload });
      },
      async startWorker(concurrency, onStart) {
        const consumer = new Consumer({
          redis,
          queue: queueName,
          workerId: `bench-${process.pid}-${workers.length}`,
        });
        const loop = new ConsumeLoop({
          consumer,
          concurrency,
          handler: onStart ? (job) => void onStart(job.payload) : () => undefined,
        });
        loop.start();
        workers.push(loop);
        return { stop: async () => void (await loop.stop()) };
      },
      async completedCount() {
        return Number(await redis.hget(queue.context.keys.stats, "completed"));
      },
      async close() {
        redis.disconnect();
      },
    };
  },
};
