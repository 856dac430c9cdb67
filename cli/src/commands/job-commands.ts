/**
 * The job commands of `rq`: submit, get, list, wait, retry and cancel. `wait`
 * (and `submit --wait`) long-poll the API in calls of at most 60 s until the job
 * is final or the timeout passes; anything but `completed` exits 4.
 */
import type { Job, JobState } from "@rqueue/shared";
import type { ApiClient } from "@rqueue/shared/client";
import {
  type Command,
  type CommandContext,
  intOption,
  listOption,
  parseJsonArgument,
  stringOption,
} from "../command.js";
import { EXIT, type ExitCode, UsageError } from "../exit-codes.js";
import { type Output, printFields, printJson, printTable } from "../output.js";

/** The API's longest single wait (WAIT_MAX_MS of GET /v1/jobs/:id/wait). */
const WAIT_CALL_MAX_MS = 60_000;
const DEFAULT_WAIT_MS = 60_000;
const FINAL = new Set(["completed", "failed", "canceled"]);

function printJob(out: Output, job: Job): void {
  if (out.json) {
    printJson(out, job);
    return;
  }
  printFields(out, [
    ["id", job.id],
    ["state", job.state],
    ["type", job.type],
    ["queue", job.queue],
    ["priority", job.priority],
    ["attempts", `${job.attempts}/${job.maxAttempts}`],
    ["created", job.createdAt],
    ["run at", job.runAt],
    ["started", job.startedAt],
    ["finished", job.finishedAt],
    ["progress", job.progress ? `${job.progress.percent}%` : null],
    ["payload", job.payload],
    ["result", job.state === "completed" ? job.result : null],
    ["error", job.lastError?.message ?? null],
    ["depends on", job.dependsOn.length > 0 ? job.dependsOn.join(", ") : null],
  ]);
}

/** Waits until the job is final or `timeoutMs` passes (0: look once); the job as last seen. */
async function waitForJob(
  client: ApiClient,
  id: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  let job = await client.waitJob(id, 0);
  while (!FINAL.has(job.state) && !signal.aborted) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    job = await client.waitJob(id, Math.min(remaining, WAIT_CALL_MAX_MS));
  }
  return job;
}

function reportWaited(ctx: CommandContext, job: Job, timeoutMs: number): ExitCode {
  printJob(ctx.out, job);
  if (job.state === "completed") return EXIT.ok;
  const why = FINAL.has(job.state)
    ? `job ${job.id} ended ${job.state}${job.lastError ? `: ${job.lastError.message}` : ""}`
    : `job ${job.id} is still ${job.state} after ${timeoutMs} ms`;
  if (!ctx.out.json) ctx.out.writeError(`rq: ${why}\n`);
  return EXIT.jobNotCompleted;
}

const waitTimeout = (ctx: CommandContext, name: string) =>
  intOption(ctx.options, name, 0, 86_400_000) ?? DEFAULT_WAIT_MS;

export const submit: Command = {
  usage: "submit <type> [payload-json | -]",
  summary: "submit a job (payload as JSON, `-` reads it from stdin); prints its id",
  help: [
    "--queue <name>            queue (default: the API's default queue)",
    "--priority <1-10>         higher runs first",
    "--delay <ms>              run no sooner than this",
    "--run-at <time>           run at an ISO 8601 time",
    "--max-attempts <n>        attempts before the job is dead-lettered",
    "--timeout <ms>            a run longer than this fails the attempt",
    "--depends-on <id,...>     run after these jobs complete",
    "--idempotency-key <key>   the same key returns the same job",
    "--wait                    then wait for the job, as `rq wait` does",
    "--wait-timeout <ms>       with --wait: how long (default 60000)",
  ],
  options: {
    queue: { type: "string" },
    priority: { type: "string" },
    delay: { type: "string" },
    "run-at": { type: "string" },
    "max-attempts": { type: "string" },
    timeout: { type: "string" },
    "depends-on": { type: "string" },
    "idempotency-key": { type: "string" },
    wait: { type: "boolean" },
    "wait-timeout": { type: "string" },
  },
  arity: [1, 2],
  async run(ctx) {
    const [type = "", payloadText] = ctx.args;
    const payload =
      payloadText === undefined
        ? undefined
        : parseJsonArgument(payloadText === "-" ? await ctx.readStdin() : payloadText, "the payload");
    const { options } = ctx;
    const input = {
      type,
      ...(payload === undefined ? {} : { payload }),
      queue: stringOption(options, "queue"),
      priority: intOption(options, "priority", 1, 10),
      delayMs: intOption(options, "delay", 0, Number.MAX_SAFE_INTEGER),
      runAt: stringOption(options, "run-at"),
      maxAttempts: intOption(options, "max-attempts", 1, 100),
      timeoutMs: intOption(options, "timeout", 1, Number.MAX_SAFE_INTEGER),
      dependsOn: listOption(options, "depends-on"),
    };
    const key = stringOption(options, "idempotency-key");
    // Options not given stay undefined, which the JSON body leaves out.
    const job = await ctx.client.submitJob(input, key ? { idempotencyKey: key } : {});
    if (options.wait) {
      const timeoutMs = waitTimeout(ctx, "wait-timeout");
      return reportWaited(ctx, await waitForJob(ctx.client, job.id, timeoutMs, ctx.signal), timeoutMs);
    }
    if (options["wait-timeout"] !== undefined) throw new UsageError("--wait-timeout needs --wait");
    if (ctx.out.json) printJson(ctx.out, job);
    else ctx.out.write(`${job.id}\n`);
    return EXIT.ok;
  },
};

export const get: Command = {
  usage: "get <job-id>",
  summary: "show a job",
  arity: [1, 1],
  async run(ctx) {
    printJob(ctx.out, await ctx.client.getJob(ctx.args[0] ?? ""));
    return EXIT.ok;
  },
};

export const list: Command = {
  usage: "list",
  summary: "list jobs, newest first, a page at a time",
  help: [
    "--queue <name>     queue (default: the API's default queue)",
    "--state <state>    blocked, scheduled, pending, processing, completed, failed or canceled (default: all)",
    "--type <type>      only this job type",
    "--limit <n>        page size",
    "--cursor <cursor>  the page after the one that printed it",
  ],
  options: {
    queue: { type: "string" },
    state: { type: "string" },
    type: { type: "string" },
    limit: { type: "string" },
    cursor: { type: "string" },
  },
  arity: [0, 0],
  async run(ctx) {
    const { options } = ctx;
    // The API checks the state's name and answers 422 with the valid ones.
    const page = await ctx.client.listJobs({
      queue: stringOption(options, "queue"),
      state: stringOption(options, "state") as JobState | undefined,
      type: stringOption(options, "type"),
      limit: intOption(options, "limit", 1, 1_000),
      cursor: stringOption(options, "cursor"),
    });
    if (ctx.out.json) {
      printJson(ctx.out, page);
      return EXIT.ok;
    }
    printTable(
      ctx.out,
      ["ID", "STATE", "TYPE", "ATTEMPTS", "CREATED"],
      page.items.map((job) => [
        job.id,
        job.state,
        job.type,
        `${job.attempts}/${job.maxAttempts}`,
        job.createdAt,
      ]),
    );
    if (page.nextCursor) ctx.out.writeError(`more: rq list ... --cursor ${page.nextCursor}\n`);
    return EXIT.ok;
  },
};

export const wait: Command = {
  usage: "wait <job-id>",
  summary: "wait until a job is final; exit 0 when it completed, 4 when it failed, was canceled or timed out",
  help: ["--timeout <ms>  how long to wait (default 60000; 0 looks once)"],
  options: { timeout: { type: "string" } },
  arity: [1, 1],
  async run(ctx) {
    const timeoutMs = waitTimeout(ctx, "timeout");
    return reportWaited(
      ctx,
      await waitForJob(ctx.client, ctx.args[0] ?? "", timeoutMs, ctx.signal),
      timeoutMs,
    );
  },
};

export const retry: Command = {
  usage: "retry <job-id>",
  summary: "run a failed or canceled job again",
  help: ["--cascade  also retry the dependents that failed because of it"],
  options: { cascade: { type: "boolean" } },
  arity: [1, 1],
  async run(ctx) {
    const job = await ctx.client.retryJob(ctx.args[0] ?? "", ctx.options.cascade ? { cascade: true } : {});
    if (ctx.out.json) printJson(ctx.out, job);
    else ctx.out.write(`${job.id} ${job.state}\n`);
    return EXIT.ok;
  },
};

export const cancel: Command = {
  usage: "cancel <job-id>",
  summary: "cancel a job that has not finished",
  arity: [1, 1],
  async run(ctx) {
    const job = await ctx.client.cancelJob(ctx.args[0] ?? "");
    if (ctx.out.json) printJson(ctx.out, job);
    else ctx.out.write(`${job.id} ${job.state}\n`);
    return EXIT.ok;
  },
};
