/**
 * Bee-Queue 2 adapter: saveAll for producing (one pipeline per batch) and
 * `process(concurrency, handler)` for consuming, with default settings. Bee-Queue
 * has no priorities (the priority scenario leaves it out) and cannot keep completed
 * jobs by count: by default it keeps them all, which costs its drain nothing extra.
 */
import BeeQueue from "bee-queue";
import type { SystemFactory } from "./system.js";

const NAME = "Bee-Queue 2.0";

export const beeQueue: SystemFactory = {
  name: NAME,
  priorities: false,
  completedScope: "process",
  nonDefault: [],
  keyPatterns: (queueName) => [`bq:${queueName}:*`],
  async create(redisUrl, queueName) {
    const producer = new BeeQueue(queueName, { redis: { url: redisUrl }, isWorker: false, getEvents: false });
    await producer.ready();
    const workers: BeeQueue[] = [];
    let completed = 0;
    return {
      name: NAME,
      async addBulk(count, batchSize, payload) {
        for (let start = 0; start < count; start += batchSize) {
          const size = Math.min(batchSize, count - start);
          const failed = await producer.saveAll(
            Array.from({ length: size }, (_, i) => producer.createJob(payload(start + i))),
          );
          if (failed.size > 0) throw [...failed.values()][0];
        }
      },
      async addOne(payload) {
        await producer.createJob(payload).save();
      },
      async startWorker(concurrency, onStart) {
        const worker = new BeeQueue(queueName, { redis: { url: redisUrl }, getEvents: false });
        worker.on("succeeded", () => {
          completed++;
        });
        worker.process(concurrency, async (job) => {
          onStart?.(job.data);
        });
        await worker.ready();
        workers.push(worker);
        return { stop: () => worker.close(30_000) };
      },
      async completedCount() {
        return completed;
      },
      async close() {
        await producer.close();
      },
    };
  },
};
