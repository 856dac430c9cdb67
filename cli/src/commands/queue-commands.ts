/**
 * The queue-level commands of `rq`: dead letters (`dlq list|retry|purge`),
 * `pause`/`resume`, `queues` and `workers`. Purging deletes jobs for good, so
 * it asks for `--yes` instead of prompting (rq runs in scripts as often as in
 * a terminal).
 */
import { type Command, requiredOption, stringOption } from "../command.js";
import { EXIT, UsageError } from "../exit-codes.js";
import { printJson, printTable } from "../output.js";

export const dlq: Command = {
  usage: "dlq list|retry|purge --queue <name>",
  summary: "dead-lettered (failed) jobs: list them grouped by error, retry them or purge them",
  help: [
    "--queue <name>  the queue (required)",
    "--type <type>   retry/purge: only this job type",
    "--yes           purge: required, the jobs are deleted for good",
  ],
  options: { queue: { type: "string" }, type: { type: "string" }, yes: { type: "boolean" } },
  arity: [1, 1],
  async run(ctx) {
    const [action] = ctx.args;
    const queue = requiredOption(ctx.options, "queue");
    const type = stringOption(ctx.options, "type");
    const { client, out } = ctx;
    if (action === "list") {
      if (type) throw new UsageError("dlq list takes no --type: it groups every type");
      const groups = await client.deadLetterGroups(queue);
      if (out.json) {
        printJson(out, groups);
        return EXIT.ok;
      }
      printTable(
        out,
        ["TYPE", "COUNT", "REASON", "LAST SEEN", "MESSAGE"],
        groups.groups.map((group) => [
          group.type,
          String(group.count),
          group.reason ?? "",
          group.lastSeen,
          group.message,
        ]),
      );
      out.write(
        `${groups.totalFailed} failed job(s)${groups.complete ? "" : `, newest ${groups.examined} grouped`}\n`,
      );
      return EXIT.ok;
    }
    if (action === "retry") {
      const result = await client.retryDeadLetter({ queue, ...(type ? { type } : {}) });
      if (out.json) printJson(out, result);
      else out.write(`retried ${result.retried} job(s)\n`);
      return EXIT.ok;
    }
    if (action === "purge") {
      if (!ctx.options.yes) throw new UsageError("dlq purge deletes the jobs for good: add --yes");
      const result = await client.purgeDeadLetter({ queue, ...(type ? { type } : {}) });
      if (out.json) printJson(out, result);
      else out.write(`deleted ${result.deleted} job(s)\n`);
      return EXIT.ok;
    }
    throw new UsageError(`unknown dlq action ${JSON.stringify(action)}: use list, retry or purge`);
  },
};

const pauseOrResume = (paused: boolean): Command => ({
  usage: `${paused ? "pause" : "resume"} <queue>`,
  summary: paused
    ? "stop workers taking jobs from a queue"
    : "let workers take jobs from a paused queue again",
  arity: [1, 1],
  async run(ctx) {
    const queue = ctx.args[0] ?? "";
    const result = paused ? await ctx.client.pauseQueue(queue) : await ctx.client.resumeQueue(queue);
    if (ctx.out.json) printJson(ctx.out, result);
    else ctx.out.write(`${result.name} ${result.paused ? "paused" : "running"}\n`);
    return EXIT.ok;
  },
});

export const pause = pauseOrResume(true);
export const resume = pauseOrResume(false);

export const queues: Command = {
  usage: "queues",
  summary: "every queue with its job counts",
  arity: [0, 0],
  async run(ctx) {
    const { queues: all } = await ctx.client.queues();
    if (ctx.out.json) {
      printJson(ctx.out, { queues: all });
      return EXIT.ok;
    }
    printTable(
      ctx.out,
      ["QUEUE", "STATUS", "PENDING", "SCHEDULED", "PROCESSING", "FAILED", "COMPLETED"],
      all.map((queue) => [
        queue.name,
        queue.paused ? "paused" : "running",
        String(queue.counts.pending),
        String(queue.counts.scheduled),
        String(queue.counts.processing),
        String(queue.counts.failed),
        String(queue.counts.completed),
      ]),
    );
    return EXIT.ok;
  },
};

export const workers: Command = {
  usage: "workers",
  summary: "the workers that sent a heartbeat lately, and their health",
  arity: [0, 0],
  async run(ctx) {
    const response = await ctx.client.workers();
    if (ctx.out.json) {
      printJson(ctx.out, response);
      return EXIT.ok;
    }
    printTable(
      ctx.out,
      ["WORKER", "STATUS", "ACTIVE", "PROCESSED", "FAILED", "LAST HEARTBEAT", "QUEUES"],
      response.workers.map((worker) => [
        worker.id,
        worker.status,
        `${worker.activeJobs}/${worker.concurrency}`,
        String(worker.processed),
        String(worker.failed),
        worker.lastHeartbeatAt,
        worker.queues.join(","),
      ]),
    );
    const { summary } = response;
    ctx.out.write(`${summary.total} worker(s), ${summary.healthy} healthy, ${summary.stale} stale\n`);
    return EXIT.ok;
  },
};
