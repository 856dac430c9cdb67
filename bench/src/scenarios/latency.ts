/**
 * Add→start latency under a steady rate: a producer adds one job at a time at
 * `ratePerSecond`, a running worker notes when each starts; percentiles of the gap.
 */
import type { QueueSystem } from "../systems/system.js";

export interface LatencyResult {
  p50: number;
  p99: number;
  samples: number;
}

export async function addToStartLatency(
  system: QueueSystem,
  ratePerSecond: number,
  seconds: number,
): Promise<LatencyResult> {
  const gaps: number[] = [];
  const worker = await system.startWorker(50, (payload) => {
    gaps.push(performance.timeOrigin + performance.now() - (payload as { at: number }).at);
  });
  const total = ratePerSecond * seconds;
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / ratePerSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await system.addOne({ at: performance.timeOrigin + performance.now() });
  }
  while (gaps.length < total) await new Promise((resolve) => setTimeout(resolve, 10));
  await worker.stop();
  gaps.sort((a, b) => a - b);
  const at = (p: number) =>
    Math.round((gaps[Math.min(gaps.length - 1, Math.floor(p * gaps.length))] ?? 0) * 100) / 100;
  return { p50: at(0.5), p99: at(0.99), samples: gaps.length };
}
