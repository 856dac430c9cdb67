/**
 * BullMQ 5 adapter, configured as its docs recommend for throughput: addBulk for
 * producing, one Worker with `concurrency`. Completed jobs are kept by count (10k),
 * as R-queue does by default (BullMQ's default keeps every completed job).
 */
import { Queue, Worker } from "bullmq";
import type { SystemFactory } from "./system.js";

const keepCompleted = { count: 10_000 };
const NAME = "BullMQ 5.81";

export const bullmq: SystemFactory = {
  name: NAME,
  priorities: true,
  completedScope: "process",
  nonDefault: ["removeOnComplete: {count: 10000} (default keeps all)"],
  keyPatterns: (queueName) => [`bull:${queueName}:*`],
  async create(redisUrl, queueName) {
    const connection = { url: redisUrl, maxRetriesPerRequest: null };
    const queue = new Queue(queueName, { connection });
    let completed = 0;
    return {
      name: NAME,
      async addBulk(count, batchSize, payload, options) {
        for (let start = 0; start < count; start += batchSize) {
          const size = Math.min(batchSize, count - start);
          await queue.addBulk(
            Array.from({ length: size }, (_, i) => ({
              name: "noop",
              data: payload(start + i),
              opts: {
                removeOnComplete: keepCompleted,
                ...(options?.priority ? { priority: options.priority(start + i) } : {}),
              },
            })),
          );
        }
      },
      async addOne(payload) {
        await queue.add("noop", payload, { removeOnComplete: keepCompleted });
      },
      async startWorker(concurrency, onStart) {
        const worker = new Worker(
          queueName,
          async (job) => {
            onStart?.(job.data);
          },
          { connection, concurrency },
        );
        worker.on("completed", () => {
          completed++;
        });
        await worker.waitUntilReady();
        return { stop: () => worker.close() };
      },
      async completedCount() {
        return completed;
      },
      async close() {
        await queue.close();
      },
    };
  },
};
