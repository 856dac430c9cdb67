/**
 * Dashboard queries at scale (R-queue only): with 1,000,000 pending jobs in one
 * queue (two types, all priorities) and 100,000 completed, how long a page of 50
 * takes — the first page, a page deep in the walk, filtered by type — and how long
 * counts take. Shows the O(log n + page) indexes at work: no query touches n jobs.
 */
import { ConsumeLoop, Consumer, createRedis, Queue, readQueueStatsHistory } from "@rqueue/shared";

export interface ListingResult {
  query: string;
  medianMs: number;
}

async function median(run: () => Promise<unknown>, times = 21): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return Math.round((samples[Math.floor(times / 2)] ?? 0) * 100) / 100;
}

export async function listingAtScale(
  url: string,
  pending = 1_000_000,
  completed = 100_000,
): Promise<ListingResult[]> {
  const redis = createRedis(url);
  const settings = { retention: { keepCompleted: completed } };
  const queue = new Queue({ redis, name: "bench-scale", settings });
  try {
    for (let done = 0; done < completed; done += 1_000) {
      await queue.addBulk(Array.from({ length: 1_000 }, () => ({ type: "quick" })));
    }
    const consumer = new Consumer({
      redis,
      queue: queue.name,
      workerId: "bench-scale",
      types: ["quick"],
      settings,
    });
    const loop = new ConsumeLoop({ consumer, concurrency: 50, handler: () => undefined });
    loop.start();
    while ((await queue.counts()).total.completed < completed)
      await new Promise((resolve) => setTimeout(resolve, 50));
    await loop.stop();
    for (let added = 0; added < pending; added += 1_000) {
      await queue.addBulk(
        Array.from({ length: 1_000 }, (_, i) => ({
          type: i % 2 ? "image" : "email",
          priority: 1 + ((added + i) % 10),
          payload: { n: added + i },
        })),
      );
    }
    let deepCursor: string | undefined;
    for (let page = 0; page < 200; page++) {
      deepCursor =
        (await queue.list({ state: "pending", limit: 200, cursor: deepCursor })).nextCursor ?? undefined;
    }
    const deep = deepCursor;
    return [
      {
        query: "pending, first page of 50",
        medianMs: await median(() => queue.list({ state: "pending", limit: 50 })),
      },
      {
        query: "pending, page of 50 after 40,000 rows",
        medianMs: await median(() => queue.list({ state: "pending", limit: 50, cursor: deep })),
      },
      {
        query: "pending of one type, first page of 50",
        medianMs: await median(() => queue.list({ state: "pending", type: "image", limit: 50 })),
      },
      {
        query: "completed, first page of 50",
        medianMs: await median(() => queue.list({ state: "completed", limit: 50 })),
      },
      { query: "counts per state and type", medianMs: await median(() => queue.counts()) },
      { query: "gauges (backlog, oldest pending age)", medianMs: await median(() => queue.gauges()) },
      {
        query: "stats history, 24 h per minute",
        medianMs: await median(() => readQueueStatsHistory(redis, queue.name, "24h")),
      },
      {
        query: "stats history, 30 days per hour",
        medianMs: await median(() => readQueueStatsHistory(redis, queue.name, "30d")),
      },
    ];
  } finally {
    redis.disconnect();
  }
}
