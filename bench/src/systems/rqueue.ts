/**
 * R-queue adapter: Queue.addBulk for producing (one script call per batch) and a
 * ConsumeLoop (settle-and-take batching) for consuming. Completed jobs are kept by
 * count (10k), like BullMQ's `removeOnComplete: {count: 10000}`.
 */
import { ConsumeLoop, Consumer, createRedis, Queue } from "@rqueue/shared";
import type { SystemFactory } from "./system.js";

const settings = { retention: { keepCompleted: 10_000 } };

export const rqueue: SystemFactory = {
  name: "R-queue",
  async create(redisUrl, queueName) {
    const redis = createRedis(redisUrl);
    const queue = new Queue({ redis, name: queueName, settings });
    const workers: ConsumeLoop[] = [];
    return {
      name: "R-queue",
      async addBulk(count, batchSize, payload) {
        for (let start = 0; start < count; start += batchSize) {
          const size = Math.min(batchSize, count - start);
          await queue.addBulk(
            Array.from({ length: size }, (_, i) => ({ type: "noop", payload: payload(start + i) })),
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
          workerId: `bench-${workers.length}`,
          settings,
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
