/**
 * Add→start latency under a steady rate: a producer adds one job at a time at
 * `ratePerSecond`, a running worker (concurrency 50) notes when each starts;
 * percentiles of the gap, in milliseconds.
 */
import { percentile } from "../report/stats.js";
import type { QueueSystem } from "../systems/system.js";

export async function addToStartLatency(
  system: QueueSystem,
  ratePerSecond: number,
  seconds: number,
  onProgress?: (started: number) => void,
) {
  const gaps: number[] = [];
  const worker = await system.startWorker(50, (payload) => {
    gaps.push(performance.timeOrigin + performance.now() - (payload as { at: number }).at);
  });
  const total = ratePerSecond * seconds;
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = started + (i * 1000) / ratePerSecond - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await system.addOne({ at: performance.timeOrigin + performance.now() });
    if (i % 100 === 0) onProgress?.(gaps.length);
  }
  while (gaps.length < total) await new Promise((resolve) => setTimeout(resolve, 10));
  await worker.stop();
  return { p50Ms: percentile(gaps, 0.5) ?? 0, p99Ms: percentile(gaps, 0.99) ?? 0 };
}
