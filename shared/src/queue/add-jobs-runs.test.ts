/**
 * The compact form of add-jobs.lua's arguments: consecutive jobs whose options are all
 * default go as one run ('=<n>', type, maxAttempts, payloads) instead of 14 fields
 * each. A run must store exactly what the long form stores, and a malformed run must be
 * refused before anything is written.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { Consumer } from "../consumer/consumer.js";
import type { JobInput } from "../schemas/job-input.js";
import { Queue } from "./queue.js";
import type { QueueContext } from "./queue-context.js";

type Args = (string | number)[];
/** add-jobs.lua's arguments after the three every script call leads with. */
const JOBS_AT = 3;
const LONG_FIELDS = 14;

/** Records the arguments and reply of every add-jobs call the queue makes. */
function recordAddCalls(queue: Queue): { args: Args; reply: unknown }[] {
  const calls: { args: Args; reply: unknown }[] = [];
  const context = queue.context as { run: QueueContext["run"] };
  const run = context.run;
  context.run = async (script, args) => {
    const reply = await run(script, args);
    if (script === "add-jobs") calls.push({ args, reply });
    return reply;
  };
  return calls;
}

/** The jobs of add-jobs.lua's arguments, each as its 14 long-form fields and whether it came in a run. */
function expandRuns(args: Args): { fields: Args; inRun: boolean }[] {
  const jobs: { fields: Args; inRun: boolean }[] = [];
  let at = JOBS_AT;
  while (at < args.length) {
    const head = String(args[at]);
    if (head.startsWith("=")) {
      const n = Number(head.slice(1));
      const [type, maxAttempts] = [args[at + 1] as string, args[at + 2] as number];
      for (const payload of args.slice(at + 3, at + 3 + n)) {
        jobs.push({
          fields: [type, payload, 5, 0, 0, maxAttempts, "", "", "", "", "", "", "", ""],
          inRun: true,
        });
      }
      at += 3 + n;
    } else {
      jobs.push({ fields: args.slice(at, at + LONG_FIELDS), inRun: false });
      at += LONG_FIELDS;
    }
  }
  return jobs;
}

const OPTIONS = [
  "none",
  "explicit-defaults",
  "max-attempts",
  "priority",
  "delay",
  "idempotency",
  "group",
  "expiry",
  "debounce",
  "parent",
  "timeout",
  "backoff",
] as const;
type Option = (typeof OPTIONS)[number];

/** Job i of a generated batch: a ref each, so later jobs can depend on it. */
function jobFor(i: number, type: string, option: Option, pick: number): JobInput {
  const job: JobInput = { type, payload: { i }, ref: `r${i}` };
  switch (option) {
    case "none":
      return job;
    case "explicit-defaults":
      return { ...job, priority: 5, delayMs: 0 };
    case "max-attempts":
      return { ...job, maxAttempts: 1 + (pick % 3) };
    case "priority":
      return { ...job, priority: 1 + (pick % 10) };
    case "delay":
      return { ...job, delayMs: 60_000 };
    case "idempotency":
      return { ...job, idempotencyKey: `k${i}` };
    case "group":
      return { ...job, group: `g${pick % 2}` };
    case "expiry":
      return { ...job, expireAfterMs: 60_000 };
    case "debounce":
      return { ...job, debounce: { key: `d${pick % 2}`, windowMs: 60_000 } };
    case "parent":
      return i === 0 ? job : { ...job, dependsOn: [`r${pick % i}`] };
    case "timeout":
      return { ...job, timeoutMs: 1_000 };
    case "backoff":
      return { ...job, backoff: { strategy: "fixed", delayMs: 10 } };
  }
}

/** Whether a job's input leaves every option the long form carries at its default (maxAttempts aside). */
const isPlain = (job: JobInput) =>
  Object.keys(job).every((key) =>
    ["type", "payload", "ref", "maxAttempts", "priority", "delayMs", "dependsOn"].includes(key),
  ) &&
  (job.priority ?? 5) === 5 &&
  (job.delayMs ?? 0) === 0 &&
  (job.dependsOn ?? []).length === 0;

describe.each(targets)("adding jobs in runs (%s)", (_name, url) => {
  const redis = useRedis(url);
  const newQueue = () => new Queue({ redis: redis(), name: uniqueQueue("runs") });

  /**
   * A job's hash, fields in Redis's order (the same hash has them in the same order),
   * with its times relative to its creation: two queues' calls run at different instants.
   */
  async function storedJob(queue: Queue, seq: string) {
    const hash = await redis().hgetall(queue.context.keys.job(seq));
    const created = Number(hash.c);
    return Object.entries(hash).map(([field, value]) =>
      field === "c"
        ? [field, "created"]
        : ["ra", "ex"].includes(field)
          ? [field, Number(value) - created]
          : [field, value],
    );
  }

  it("sends a bulk add of plain jobs as one run of one argument per job", async () => {
    const queue = newQueue();
    const calls = recordAddCalls(queue);
    const added = await queue.addBulk(
      Array.from({ length: 1_000 }, (_, i) => ({ type: "noop", payload: { i } })),
    );
    expect(calls[0]?.args.slice(JOBS_AT, JOBS_AT + 3)).toEqual(["=1000", "noop", 3]);
    expect(calls[0]?.args).toHaveLength(JOBS_AT + 3 + 1_000);
    expect(new Set(added.map((job) => job.id)).size).toBe(1_000);
    const last = await queue.getJobOrThrow(added[999]?.id ?? "");
    expect(last).toMatchObject({
      type: "noop",
      state: "pending",
      priority: 5,
      maxAttempts: 3,
      payload: { i: 999 },
    });
    const consumer = new Consumer({ redis: redis(), queue: queue.name, workerId: "w-runs" });
    expect((await consumer.take(3)).map((job) => job.id)).toEqual(added.slice(0, 3).map((job) => job.id));
  });

  it("stores a mixed batch exactly as the long form of every job does", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            type: fc.constantFrom("a", "b"),
            option: fc.constantFrom(...OPTIONS),
            pick: fc.nat(99),
          }),
          { minLength: 1, maxLength: 30 },
        ),
        async (specs) => {
          const inputs = specs.map((spec, i) => jobFor(i, spec.type, spec.option, spec.pick));
          const compact = newQueue();
          const long = newQueue();
          const calls = recordAddCalls(compact);
          const added = await compact.addBulk(inputs);
          const [call] = calls;
          if (!call) throw new Error("no add-jobs call");
          const jobs = expandRuns(call.args);
          // Every plain job went in a run, every other one in the long form (in the
          // plan's order, parents first: the payload says which job each is).
          const inRun = new Array<boolean>(inputs.length);
          for (const job of jobs) inRun[(JSON.parse(String(job.fields[1])) as { i: number }).i] = job.inRun;
          expect(inRun).toEqual(inputs.map(isPlain));
          const longArgs = [...call.args.slice(0, JOBS_AT), ...jobs.flatMap((job) => job.fields)];
          expect(await long.context.run("add-jobs", longArgs)).toEqual(call.reply);

          const seqs = [...new Set(added.map((job) => job.id.slice(compact.name.length + 1)))];
          for (const seq of seqs) expect(await storedJob(compact, seq)).toEqual(await storedJob(long, seq));
          expect(await compact.counts()).toEqual(await long.counts());
          const events = async (queue: Queue) =>
            (await redis().xrange(queue.context.keys.events, "-", "+")).map(([, fields]) => fields);
          expect(await events(compact)).toEqual(await events(long));
          const takeAll = async (queue: Queue) => {
            const consumer = new Consumer({ redis: redis(), queue: queue.name, workerId: `w-${queue.name}` });
            return (await consumer.take(100)).map((job) => job.seq);
          };
          expect(await takeAll(compact)).toEqual(await takeAll(long));
        },
      ),
      { numRuns: 25 },
    );
  });

  it("returns the stored jobs of a run from submitBulk", async () => {
    const queue = newQueue();
    const submitted = await queue.submitBulk([
      { type: "a", payload: { n: 1 }, ref: "first" },
      { type: "a", payload: { n: 2 } },
      { type: "b", dependsOn: ["first"] },
      { type: "b", maxAttempts: 7 },
    ]);
    for (const { job, created } of submitted) {
      expect(created).toBe(true);
      expect(job).toEqual(await queue.getJob(job.id));
    }
    expect(submitted[0]?.job.dependents).toEqual([submitted[2]?.job.id]);
    expect(submitted[3]?.job.maxAttempts).toBe(7);
  });

  it.each([
    ["an empty run", 1, ["=0", "t", 3]],
    ["a run longer than its payloads", 2, ["=2", "t", 3, "{}"]],
    ["a run without a type", 1, ["=1", "", 3, "{}"]],
    ["a run of a type with '='", 1, ["=1", "t=x", 3, "{}"]],
    ["a run with 0 attempts", 1, ["=1", "t", 0, "{}"]],
    ["a run that is not a number", 1, ["=x", "t", 3, "{}"]],
    ["more jobs than counted", 1, ["=2", "t", 3, "{}", "{}"]],
    ["fewer jobs than counted", 3, ["=2", "t", 3, "{}", "{}"]],
    [
      "a bad long job after a good run",
      2,
      ["=1", "t", 3, "{}", "t", "{}", 11, 0, 0, 3, "", "", "", "", "", "", "", ""],
    ],
  ])("refuses %s before writing anything", async (_case, count, jobs) => {
    const queue = newQueue();
    await expect(queue.context.run("add-jobs", [86_400_000, "", count, ...jobs])).rejects.toThrow(
      /rq-invalid-argument/,
    );
    expect((await queue.counts()).total.pending).toBe(0);
    expect(await redis().exists(queue.context.keys.job("1"), queue.context.keys.events)).toBe(0);
  });
});
