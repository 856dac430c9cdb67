/**
 * Scale-out: the drain with 1, 2 or 4 worker processes (each one worker,
 * concurrency 50) against one Redis. The processes connect first; the queue is
 * filled; then all start at once and the time runs until every job is completed.
 * Beside the rate: Redis main-thread CPU utilisation over the drain (on 2 cores
 * the curve is bounded by the cores, not by Redis, until that nears 100%) and the
 * worker processes' CPU per job.
 */
import { type ChildProcess, fork } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchRedis } from "../bench-redis.js";
import { mainThreadCpuSeconds } from "../redis-info.js";
import type { QueueSystem, SystemFactory } from "../systems/system.js";

const WORKER = join(dirname(fileURLToPath(import.meta.url)), "..", "workers", "drain-worker.ts");

interface Child {
  process: ChildProcess;
  completed: number;
  cpuMicros?: number;
}

function nextMessage(child: ChildProcess, key: string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: Record<string, number>) => {
      if (key in message) {
        child.off("message", onMessage);
        resolve(message);
      }
    };
    child.on("message", onMessage);
    child.once("exit", (code) => reject(new Error(`drain worker exited (${code}) before "${key}"`)));
  });
}

export async function scaleOut(
  factory: SystemFactory,
  system: QueueSystem,
  redis: BenchRedis,
  queueName: string,
  options: { jobs: number; processes: number; onProgress?: (completed: number) => void },
) {
  const children: Child[] = Array.from({ length: options.processes }, () => ({
    process: fork(WORKER, [factory.name, redis.url, queueName, "50"], {
      execArgv: ["--conditions=development", "--import", "tsx"],
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    }),
    completed: 0,
  }));
  try {
    await Promise.all(children.map((child) => nextMessage(child.process, "ready")));
    for (const child of children) {
      child.process.on("message", (message: { completed?: number }) => {
        if (message.completed !== undefined) child.completed = message.completed;
      });
    }
    await system.addBulk(options.jobs, 1_000, () => ({}));
    const cpuBefore = mainThreadCpuSeconds(await redis.info("cpu"));
    const started = performance.now();
    for (const child of children) child.process.send({ do: "go" });
    const completed = async () =>
      factory.completedScope === "queue"
        ? await system.completedCount()
        : children.reduce((sum, child) => sum + child.completed, 0);
    for (let done = 0; done < options.jobs; done = await completed()) {
      options.onProgress?.(done);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const seconds = (performance.now() - started) / 1000;
    const redisCpu = mainThreadCpuSeconds(await redis.info("cpu")) - cpuBefore;
    const reports = children.map((child) => nextMessage(child.process, "cpuMicros"));
    for (const child of children) child.process.send({ do: "stop" });
    const cpu = (await Promise.all(reports)).reduce((sum, report) => sum + (report.cpuMicros ?? 0), 0);
    return {
      jobsPerSecond: options.jobs / seconds,
      redisCpuPercent: (redisCpu / seconds) * 100,
      workerCpuMicrosPerJob: cpu / options.jobs,
    };
  } finally {
    for (const child of children) if (child.process.exitCode === null) child.process.kill("SIGKILL");
  }
}
