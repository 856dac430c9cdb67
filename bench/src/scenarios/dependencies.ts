/**
 * Dependencies at scale (R-queue only: BullMQ's flows are a different model):
 * a fan-out of 10,000 children on one parent and a fan-in of 1,000 parents to one
 * child. For each phase, the longest single script call Redis ran (SLOWLOG with a
 * 0 µs threshold): the issue bounds unblocking at 10 ms per call.
 */
import { Consumer, createRedis, Queue, scriptNameOfFunction } from "@rqueue/shared";
import type { Redis } from "ioredis";

export interface PhaseResult {
  phase: string;
  ms: number;
  longestScriptMs: number;
  longestScript: string;
}

type SlowlogEntry = [number, number, number, string[]];

async function phase(admin: Redis, name: string, run: () => Promise<void>): Promise<PhaseResult> {
  await admin.slowlog("RESET");
  const started = performance.now();
  await run();
  const ms = Math.round(performance.now() - started);
  const entries = (await admin.slowlog("GET", 100_000)) as SlowlogEntry[];
  const scripts = entries.filter((entry) => /^fcall$/i.test(entry[3][0] ?? ""));
  const longest = scripts.reduce<SlowlogEntry | undefined>(
    (max, entry) => (!max || entry[2] > max[2] ? entry : max),
    undefined,
  );
  return {
    phase: name,
    ms,
    longestScriptMs: (longest?.[2] ?? 0) / 1000,
    longestScript: scriptNameOfFunction(longest?.[3][1] ?? "") ?? "-",
  };
}

export async function dependencyScale(url: string, admin: Redis): Promise<PhaseResult[]> {
  const redis = createRedis(url);
  const queue = new Queue({ redis, name: "bench-deps" });
  const worker = new Consumer({ redis, queue: queue.name, workerId: "bench", types: ["root", "sink"] });
  const manyWorker = new Consumer({ redis, queue: queue.name, workerId: "bench-many", types: ["many"] });
  await admin.config("SET", "slowlog-log-slower-than", "0");
  await admin.config("SET", "slowlog-max-len", "100000");
  const results: PhaseResult[] = [];
  try {
    const parent = await queue.add({ type: "root" });
    results.push(
      await phase(admin, "submit 10,000 children of one parent (10 batches of 1,000)", async () => {
        for (let i = 0; i < 10; i++) {
          await queue.addBulk(
            Array.from({ length: 1_000 }, () => ({ type: "leaf", dependsOn: [parent.id] })),
          );
        }
      }),
    );
    results.push(
      await phase(admin, "complete the parent: unblock its 10,000 children", async () => {
        const [root] = await worker.take(1);
        if (!root) throw new Error("root job not taken");
        await worker.settle([{ lease: root, kind: "completed" }], 0);
        while ((await queue.counts()).byType.leaf?.pending !== 10_000) await queue.maintain();
      }),
    );
    const parents = await queue.addBulk(Array.from({ length: 1_000 }, () => ({ type: "many" })));
    let sinkId = "";
    results.push(
      await phase(admin, "submit one child of 1,000 parents", async () => {
        sinkId = (await queue.add({ type: "sink", dependsOn: parents.map((job) => job.id) })).id;
      }),
    );
    results.push(
      await phase(admin, "complete the 1,000 parents (batches of 50): unblock the child", async () => {
        for (let jobs = await manyWorker.take(50); jobs.length > 0; jobs = await manyWorker.take(50)) {
          await manyWorker.settle(
            jobs.map((lease) => ({ lease, kind: "completed" as const })),
            0,
          );
        }
        await queue.maintain(); // finishes what the settles left (bounded per call)
        if ((await queue.getJobOrThrow(sinkId)).state !== "pending")
          throw new Error("fan-in child not unblocked");
      }),
    );
  } finally {
    await admin.config("SET", "slowlog-log-slower-than", "10000");
    redis.disconnect();
  }
  return results;
}
