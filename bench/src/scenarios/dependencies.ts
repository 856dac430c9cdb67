/**
 * Dependencies at scale (R-queue only: BullMQ's flows are a different model):
 * a fan-out of 10,000 children on one parent and a fan-in of 1,000 parents to one
 * child. Reports the longest single script call Redis ran meanwhile (SLOWLOG with
 * a 0 µs threshold), which the issue bounds at 10 ms.
 */
import { Consumer, createRedis, Queue, scriptNameBySha } from "@rqueue/shared";
import type { Redis } from "ioredis";

export interface DependencyResult {
  fanOutChildren: number;
  fanOutUnblockMs: number;
  fanInParents: number;
  longestScriptMs: number;
  longestScriptCommand: string;
}

export async function dependencyScale(url: string, admin: Redis): Promise<DependencyResult> {
  const redis = createRedis(url);
  const queue = new Queue({ redis, name: "bench-deps" });
  const worker = new Consumer({ redis, queue: queue.name, workerId: "bench" });
  await admin.config("SET", "slowlog-log-slower-than", "0");
  await admin.config("SET", "slowlog-max-len", "100000");
  await admin.slowlog("RESET");

  const parent = await queue.add({ type: "root" });
  for (let i = 0; i < 10; i++) {
    await queue.addBulk(Array.from({ length: 1_000 }, () => ({ type: "leaf", dependsOn: [parent.id] })));
  }
  const [root] = await worker.take(1);
  if (!root) throw new Error("root job not taken");
  const started = performance.now();
  await worker.settle([{ lease: root, kind: "completed" }], 0);
  while ((await queue.counts()).byType.leaf?.pending !== 10_000) await queue.maintain();
  const fanOutUnblockMs = performance.now() - started;

  const parents = await queue.addBulk(Array.from({ length: 1_000 }, () => ({ type: "many" })));
  const sink = await queue.add({ type: "sink", dependsOn: parents.map((job) => job.id) });
  const manyWorker = new Consumer({ redis, queue: queue.name, workerId: "bench-many", types: ["many"] });
  for (let jobs = await manyWorker.take(100); jobs.length > 0; jobs = await manyWorker.take(100)) {
    await manyWorker.settle(
      jobs.map((lease) => ({ lease, kind: "completed" as const })),
      0,
    );
  }
  await queue.maintain(); // finishes resolving what the settles left (bounded per call)
  if ((await queue.getJobOrThrow(sink.id)).state !== "pending") throw new Error("fan-in child not unblocked");

  const entries = (await admin.slowlog("GET", 100_000)) as [number, number, number, string[]][];
  const top = [...entries].sort((a, b) => b[2] - a[2]).slice(0, 8);
  for (const entry of top) console.log(entry[2], scriptNameBySha(entry[3][1] ?? "") ?? entry[3][0]);
  const scripts = entries.filter((entry) => /^eval/i.test(entry[3][0] ?? ""));
  const longest = scripts.reduce((max, entry) => (entry[2] > max[2] ? entry : max), [0, 0, 0, [""]] as [
    number,
    number,
    number,
    string[],
  ]);
  await admin.config("SET", "slowlog-log-slower-than", "10000");
  redis.disconnect();
  return {
    fanOutChildren: 10_000,
    fanOutUnblockMs: Math.round(fanOutUnblockMs),
    fanInParents: 1_000,
    longestScriptMs: longest[2] / 1000,
    longestScriptCommand: scriptNameBySha(longest[3][1] ?? "") ?? String(longest[3][0]),
  };
}
