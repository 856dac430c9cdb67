/**
 * Cron fan-out (R-queue only): 1,000 schedules of one queue due at the same
 * instant, fired by one firing loop and then by two at once (two control planes).
 * Timed from the first round to the last of the 1,000 jobs created; the two-loop
 * run also checks that no due time started twice.
 */
import { createRedis, Queue, QueueSchedules, type RedisClient, SCHEDULE_QUEUES_KEY } from "@rqueue/shared";

export interface FanOutResult {
  loops: number;
  schedules: number;
  ms: number;
  jobs: number;
  /** Batches a loop found another loop had advanced first. */
  stale: number;
}

/** Creates the schedules, then moves every one's next due time to the same past instant. */
async function dueAtOnce(redis: RedisClient, queue: Queue, count: number): Promise<void> {
  const schedules = new QueueSchedules(queue);
  for (let start = 0; start < count; start += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, count - start) }, (_, i) =>
        schedules.create({ id: `s${start + i}`, everyMs: 3_600_000, job: { type: "cron-tick" } }),
      ),
    );
  }
  const [seconds] = await redis.time();
  const due = Number(seconds) * 1000 - 1_000;
  const { keys } = queue.context;
  const write = redis.multi();
  for (let i = 0; i < count; i++) {
    // As if created an hour ago: the anchor puts the due time on the schedule's grid.
    write.hset(keys.schedules.of(`s${i}`), "n", due, "a", due - 3_600_000);
    write.zadd(keys.schedules.due, due, `s${i}`);
  }
  await write.exec();
}

export async function cronFanOut(url: string, loops: number, count = 1_000): Promise<FanOutResult> {
  const connections = Array.from({ length: loops + 1 }, () => createRedis(url));
  const [admin, ...firing] = connections as [RedisClient, ...RedisClient[]];
  const name = `bench-cron-${loops}`;
  try {
    const queue = new Queue({ redis: admin, name });
    await dueAtOnce(admin, queue, count);
    const started = performance.now();
    const totals = await Promise.all(
      firing.map(async (redis) => {
        const schedules = new QueueSchedules(new Queue({ redis, name }));
        let stale = 0;
        for (;;) {
          const round = await schedules.fireDue();
          stale += round.stale;
          if (round.schedules === 0) return stale;
        }
      }),
    );
    const ms = performance.now() - started;
    const jobs = (await queue.counts()).total.pending;
    return { loops, schedules: count, ms, jobs, stale: totals.reduce((a, b) => a + b, 0) };
  } finally {
    // The queue's keys go with the bench's reset; the set of queues with schedules is global.
    await admin.srem(SCHEDULE_QUEUES_KEY, name);
    await Promise.all(connections.map((redis) => redis.quit()));
  }
}
