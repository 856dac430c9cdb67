/**
 * What flow control costs a queue that uses none of it (issue 15: at most +20% of
 * take's Redis time): the same take path — pre-filled no-op jobs, one consumer
 * calling settle-and-take for 50 at a time and completing them in the next call —
 * run by the engine before flow control and by the current one, on the same Redis,
 * alternating. Reports the scripts' INFO commandstats usec per job (reset after the
 * adds, so only settle-and-take is in it) and the Redis commands the scripts ran per
 * call, which says what the new code adds to each take.
 */
import type { BenchRedis } from "../bench-redis.js";
import type { EngineModule } from "../previous-engine.js";
import { commandMicros, parseCommandStats } from "../redis-info.js";

const BATCH = 50;
// The bench's own INFO and CONFIG, connection set-up, and the scripts themselves.
const NOT_THE_SCRIPTS = new Set([
  "info",
  "config",
  "eval",
  "evalsha",
  "fcall",
  "function|load",
  "ping",
  "client",
  "cluster",
  "select",
]);

export interface TakePathFigures {
  scriptMicrosPerJob: number;
  callsPerJob: number;
  /** Redis commands the scripts ran, per settle-and-take call. */
  commandsPerCall: Record<string, number>;
}

export async function takePathDrain(
  engine: EngineModule,
  redis: BenchRedis,
  queueName: string,
  jobs: number,
): Promise<TakePathFigures> {
  const client = engine.createRedis(redis.url);
  try {
    const queue = new engine.Queue({ redis: client, name: queueName });
    const consumer = new engine.Consumer({ redis: client, queue: queueName, workerId: "bench-take" });
    for (let start = 0; start < jobs; start += 1_000) {
      await queue.addBulk(
        Array.from({ length: Math.min(1_000, jobs - start) }, () => ({ type: "noop", payload: {} })),
      );
    }
    // Loads the script's library before the figures start.
    await consumer.settle([], 0);
    await redis.admin.config("RESETSTAT");
    let calls = 0;
    let finished: unknown[] = [];
    for (;;) {
      const { taken } = await consumer.settle(
        finished.map((lease) => ({ lease, kind: "completed" as const })),
        BATCH,
      );
      calls++;
      if (taken.length === 0 && finished.length === 0) break;
      finished = taken;
    }
    const stats = parseCommandStats(await redis.info("commandstats"));
    const commandsPerCall: Record<string, number> = {};
    for (const [name, stat] of Object.entries(stats)) {
      if (!NOT_THE_SCRIPTS.has(name)) commandsPerCall[name] = stat.calls / calls;
    }
    return { scriptMicrosPerJob: commandMicros(stats) / jobs, callsPerJob: calls / jobs, commandsPerCall };
  } finally {
    client.disconnect();
  }
}

/** Commands per call that the current engine runs more (or less) often than the previous one, largest first. */
export function addedCommands(
  previous: Record<string, number>,
  current: Record<string, number>,
): [string, number][] {
  const names = new Set([...Object.keys(previous), ...Object.keys(current)]);
  return [...names]
    .map((name): [string, number] => [name, (current[name] ?? 0) - (previous[name] ?? 0)])
    .filter(([, delta]) => Math.abs(delta) >= 0.05)
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
}
