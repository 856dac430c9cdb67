/**
 * Flow limits across real worker processes (issue 15): three `rqueue-worker`
 * processes on one queue, each running at most 2 jobs at once, so the three
 * together have room for more than the limits allow and no one process alone can
 * fill the concurrency limit (a process that ends a job takes the freed slot in
 * the same call, so with room for all of it one process would keep it). A
 * type limited to 10 starts a second (burst 5) is started at 10/s within 5%, and a type with
 * a global concurrency of 4 never has more than 4 jobs running across the three.
 * Each process writes a ledger of its jobs (id, start, end: epoch ms, which every
 * process on the machine shares) to a file of its own in a scratch folder; handler
 * spans lie inside their leases, so the ledger can only understate what ran at once.
 * Standalone and Cluster.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Queue } from "@rqueue/shared";
import { describe, expect, it } from "vitest";
import { eventually, targets, uniqueQueue, useRedis } from "../../shared/test/engine-fixture.js";
import { scratchDirs } from "../../shared/test/scratch-dirs.js";
import { started, startWorkerProcess, testEnv, type WorkerProcess } from "./testing/worker-process.js";

const scratch = scratchDirs();

const RATE = 10;
// 5 may start at once (the rule allows at most RATE × seconds + BURST in any window): a
// process woken up to 0.5 s late on a busy machine still gets its slot.
const BURST = 5;
const PACED_JOBS = 51;
const CONCURRENCY = 4;
const SLOT_JOBS = 40;
const HOLD_MS = 100;
const PER_PROCESS = 2;

/** A handler module that appends "type id pid start end" to ledger-<pid> in its own folder. */
function ledgerHandler(type: string, holdMs: number): string {
  return `import { appendFileSync } from "node:fs";
const file = new URL("ledger-" + process.pid, import.meta.url);
const now = () => performance.timeOrigin + performance.now();
export default {
  type: ${JSON.stringify(type)},
  payload: { kind: "schema", "~run": (dataset) => ({ ...dataset, typed: true }) },
  async handle(job) {
    const start = now();
    if (${holdMs} > 0) await new Promise((resolve) => setTimeout(resolve, ${holdMs}));
    appendFileSync(file, [job.type, job.id, process.pid, start, now()].join(" ") + "\\n");
    return null;
  },
};
`;
}

interface Entry {
  type: string;
  id: string;
  pid: string;
  start: number;
  end: number;
}

function readLedgers(dir: string): Entry[] {
  return readdirSync(dir)
    .filter((name) => name.startsWith("ledger-"))
    .flatMap((name) => readFileSync(join(dir, name), "utf8").trim().split("\n"))
    .filter(Boolean)
    .map((line) => {
      const [type, id, pid, start, end] = line.split(" ") as [string, string, string, string, string];
      return { type, id, pid, start: Number(start), end: Number(end) };
    });
}

/** The most entries running at one instant (an end before a start at the same instant). */
function peakOverlap(entries: Entry[]): number {
  const edges = entries.flatMap((entry): [number, number][] => [
    [entry.start, 1],
    [entry.end, -1],
  ]);
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let peak = 0;
  for (const [, delta] of edges) {
    open += delta;
    peak = Math.max(peak, open);
  }
  return peak;
}

describe.each(targets)("flow limits across worker processes (%s)", (_name, url) => {
  const redis = useRedis(url);

  it("holds a rate within 5% and never exceeds a global concurrency across three processes", async () => {
    const dir = scratch("rq-flow-ledger-");
    writeFileSync(join(dir, "paced.mjs"), ledgerHandler("paced", 0));
    writeFileSync(join(dir, "slots.mjs"), ledgerHandler("slots", HOLD_MS));
    const queue = new Queue({ redis: redis(), name: uniqueQueue("flow-procs") });
    await queue.setFlowLimit(
      { scope: "type", type: "paced" },
      { rate: { limit: RATE, windowMs: 1_000, burst: BURST } },
    );
    await queue.setFlowLimit({ scope: "type", type: "slots" }, { concurrency: CONCURRENCY });

    // Long leases: a loop hands back jobs whose answer it handled after half a lease (a
    // stalled process), and a handed-back job has spent its rate slot.
    const env = testEnv(url, {
      RQ_QUEUES: queue.name,
      RQ_CONCURRENCY: String(PER_PROCESS),
      RQ_HANDLERS_DIR: dir,
      RQ_LEASE_MS: "10000",
      RQ_HEARTBEAT_MS: "2000",
    });
    const workers: WorkerProcess[] = Array.from({ length: 3 }, () => startWorkerProcess(env));
    try {
      // Every process is consuming before the first job exists, so all three compete for each start.
      await Promise.all(workers.map(started));
      await queue.addBulk([
        ...Array.from({ length: SLOT_JOBS }, () => ({ type: "slots", payload: {} })),
        ...Array.from({ length: PACED_JOBS }, () => ({ type: "paced", payload: {} })),
      ]);
      await eventually(
        async () => (await queue.counts()).total.completed === SLOT_JOBS + PACED_JOBS,
        60_000,
        100,
      );
    } finally {
      for (const worker of workers) worker.child.kill("SIGTERM");
      await Promise.all(workers.map((worker) => worker.exited));
    }

    const ledger = readLedgers(dir);
    const paced = ledger.filter((entry) => entry.type === "paced");
    const slots = ledger.filter((entry) => entry.type === "slots");
    expect(new Set(paced.map((entry) => entry.id)).size).toBe(PACED_JOBS);
    expect(new Set(slots.map((entry) => entry.id)).size).toBe(SLOT_JOBS);

    // The first BURST start at once; the rate paces the rest from there.
    const starts = paced.map((entry) => entry.start).sort((a, b) => a - b);
    const rate = ((starts.length - BURST) * 1_000) / ((starts.at(-1) as number) - (starts[0] as number));
    expect(rate).toBeGreaterThan(RATE * 0.95);
    expect(rate).toBeLessThan(RATE * 1.05);

    expect(peakOverlap(slots)).toBeLessThanOrEqual(CONCURRENCY);
    // The limit, not idle workers, bounded the runs: at some point more ran than one process may run.
    expect(peakOverlap(slots)).toBeGreaterThan(PER_PROCESS);
    // Both limits were shared by more than one process.
    expect(new Set(paced.map((entry) => entry.pid)).size).toBeGreaterThan(1);
    expect(new Set(slots.map((entry) => entry.pid)).size).toBeGreaterThan(1);
  }, 120_000);
});
