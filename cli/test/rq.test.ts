/**
 * The rq binary against a real stack (control plane over HTTP with an API key,
 * a worker with the built-in handlers, redis-server): each command with --json
 * and in human form, and every exit code the README promises.
 */
import type { DeadLetterGroupsResponse, Job, WorkersResponse } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { uniqueQueue } from "../../shared/test/engine-fixture.js";
import { ADMIN_KEY, type CliStack, requireBuiltCli, rq, startCliStack } from "./cli-stack.js";

const redisUrl = inject("redisUrl");
const queue = uniqueQueue("cli");
const deadQueue = uniqueQueue("cli-dlq");
let stack: CliStack;
let env: Record<string, string>;

beforeAll(async () => {
  requireBuiltCli();
  stack = await startCliStack(redisUrl, [queue, deadQueue]);
  env = { RQ_URL: stack.url, RQ_API_KEY: ADMIN_KEY };
});

afterAll(async () => {
  await stack?.stop();
});

describe("rq job commands", () => {
  it("submits a job, waits for it and shows it", async () => {
    const submitted = await rq(["submit", "echo", '{"hello":"world"}', "--queue", queue], env);
    expect(submitted).toMatchObject({ code: 0, stderr: "" });
    const id = submitted.stdout.trim();
    expect(id).toMatch(new RegExp(`^${queue}:\\d+$`));

    const waited = await rq(["wait", id, "--json", "--timeout", "20000"], env);
    expect(waited.code).toBe(0);
    expect(waited.json<Job>()).toMatchObject({ id, state: "completed", result: { hello: "world" } });

    const shown = await rq(["get", id], env);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^state: +completed$/m);
    expect(shown.stdout).toMatch(/^result: +\{"hello":"world"\}$/m);

    const listed = await rq(["list", "--queue", queue, "--state", "completed", "--json"], env);
    expect(listed.code).toBe(0);
    expect(listed.json<{ items: Job[] }>().items.map((job) => job.id)).toContain(id);
    const everyState = await rq(["list", "--queue", queue, "--json"], env);
    expect(everyState.json<{ items: Job[] }>().items.map((job) => job.id)).toContain(id);
    const table = await rq(["list", "--queue", queue, "--state", "completed"], env);
    expect(table.stdout.split("\n")[0]).toMatch(/^ID +STATE +TYPE +ATTEMPTS +CREATED$/);
  });

  it("reads the payload from stdin, and submit --wait exits 4 for a job that fails", async () => {
    const fromStdin = await rq(
      ["submit", "echo", "-", "--queue", queue, "--wait", "--json"],
      env,
      '{"n": 1}',
    );
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.json<Job>().result).toEqual({ n: 1 });

    const failed = await rq(
      ["submit", "fail", '{"message":"boom"}', "--queue", queue, "--max-attempts", "1", "--wait"],
      env,
    );
    expect(failed.code).toBe(4);
    expect(failed.stderr).toMatch(/ended failed: boom/);
    const id = /^id: +(\S+)$/m.exec(failed.stdout)?.[1] ?? "";

    const retried = await rq(["retry", id, "--json"], env);
    expect(retried.code).toBe(0);
    expect(retried.json<Job>().id).toBe(id);
    const again = await rq(["wait", id], env);
    expect(again.code).toBe(4);
  });

  it("exits 4 when the wait times out, naming the state", async () => {
    const submitted = await rq(["submit", "sleep", '{"ms":60000}', "--queue", queue], env);
    const id = submitted.stdout.trim();
    const waited = await rq(["wait", id, "--timeout", "300"], env);
    expect(waited.code).toBe(4);
    expect(waited.stderr).toMatch(new RegExp(`job ${id} is still (pending|processing) after 300 ms`));
    expect((await rq(["cancel", id], env)).stdout.trim()).toBe(`${id} canceled`);
  });
});

describe("rq queue commands", () => {
  it("lists, retries and purges dead letters", async () => {
    const failTwice = () =>
      rq(
        ["submit", "fail", '{"message":"bad input"}', "--queue", deadQueue, "--max-attempts", "1", "--wait"],
        env,
      );
    const failed = await Promise.all([failTwice(), failTwice()]);
    expect(failed.map((run) => run.code)).toEqual([4, 4]);
    const ids = failed.map((run) => /^id: +(\S+)$/m.exec(run.stdout)?.[1] ?? "");

    const groups = await rq(["dlq", "list", "--queue", deadQueue, "--json"], env);
    expect(groups.json<DeadLetterGroupsResponse>()).toMatchObject({
      totalFailed: 2,
      groups: [{ type: "fail", message: "bad input", count: 2 }],
    });
    expect((await rq(["dlq", "list", "--queue", deadQueue], env)).stdout).toMatch(/^fail +2 +/m);

    // Paused, the retried jobs stay pending until the test lets them run.
    await rq(["pause", deadQueue], env);
    const retried = await rq(["dlq", "retry", "--queue", deadQueue, "--type", "fail", "--json"], env);
    expect(retried.json()).toEqual({ queue: deadQueue, type: "fail", retried: 2 });
    expect((await rq(["get", ids[0] ?? "", "--json"], env)).json<Job>().state).toBe("pending");
    await rq(["resume", deadQueue], env);
    const waited = await Promise.all(ids.map((id) => rq(["wait", id, "--timeout", "20000"], env)));
    expect(waited.map((run) => run.code)).toEqual([4, 4]);

    const purged = await rq(["dlq", "purge", "--queue", deadQueue, "--yes"], env);
    expect(purged).toMatchObject({ code: 0, stdout: "deleted 2 job(s)\n" });
    expect((await rq(["get", ids[0] ?? ""], env)).code).toBe(3);
  });

  it("pauses and resumes a queue, and lists queues and workers", async () => {
    const paused = await rq(["pause", queue, "--json"], env);
    expect(paused.json()).toEqual({ name: queue, paused: true });
    const queues = await rq(["queues"], env);
    expect(queues.stdout).toMatch(new RegExp(`^${queue} +paused `, "m"));
    expect((await rq(["resume", queue], env)).stdout).toBe(`${queue} running\n`);

    const workers = await rq(["workers", "--json"], env);
    expect(workers.code).toBe(0);
    const entry = workers
      .json<WorkersResponse>()
      .workers.find((worker) => worker.id === stack.worker.workerId);
    expect(entry).toMatchObject({ status: "healthy", queues: [queue, deadQueue] });
  });
});

describe("rq tail", () => {
  interface TailLine {
    id: string;
    event: string;
    data: { jobId: string; queue: string };
  }
  const lines = (stdout: string) =>
    stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as TailLine);

  it("replays a job's events from the stream and resumes after a given id", async () => {
    const id = (await rq(["submit", "echo", "{}", "--queue", queue], env)).stdout.trim();
    expect((await rq(["wait", id], env)).code).toBe(0);
    const all = await rq(
      ["tail", "--queue", queue, "--job", id, "--last-event-id", "0-0", "--limit", "3", "--json"],
      env,
    );
    expect(all.code).toBe(0);
    const events = lines(all.stdout);
    expect(events.map((event) => event.data.jobId)).toEqual([id, id, id]);
    expect(events.at(-1)?.event).toBe("completed");

    const first = events[0]?.id ?? "";
    const resumed = await rq(
      ["tail", "--queue", queue, "--job", id, "--last-event-id", first, "--limit", "2", "--json"],
      env,
    );
    expect(lines(resumed.stdout)).toEqual(events.slice(1));
  });

  it("follows live events, telling a terminal once it is connected", async () => {
    const live = rq(
      ["tail", "--queue", queue, "--type", "echo", "--limit", "1"],
      env,
      undefined,
      (stderr) => {
        if (stderr.includes(`following ${queue}`)) void rq(["submit", "echo", "{}", "--queue", queue], env);
      },
    );
    const { code, stdout } = await live;
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^\\S+  pending  \\{"queue":"${queue}","jobId":"${queue}:\\d+"`));
  });

  it("exits 2 with the API's message when the stream is refused", async () => {
    const refused = await rq(["tail", "--queue", queue, "--last-event-id", "nonsense"], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/lastEventId: must be an id this stream sent/);
  });
});

describe("rq exit codes", () => {
  it("1 for usage mistakes, with the command's usage", async () => {
    const unknownOption = await rq(["get", "x:1", "--bogus"], env);
    expect(unknownOption.code).toBe(1);
    expect(unknownOption.stderr).toMatch(/Unknown option '--bogus'[\s\S]*usage: rq get <job-id>/);
    const codes = await Promise.all(
      [
        ["submit", "echo", "{not json"],
        ["frobnicate"],
        [],
        ["--help"],
        ["wait", "x:1", "--timeout", "soon"],
      ].map(async (args) => (await rq(args, env)).code),
    );
    expect(codes).toEqual([1, 1, 1, 0, 1]);
    const purge = await rq(["dlq", "purge", "--queue", queue, "--json"], env);
    expect(purge.code).toBe(1);
    expect(JSON.parse(purge.stderr)).toEqual({
      error: { code: "usage", message: "dlq purge deletes the jobs for good: add --yes" },
    });
  });

  it("2 for API errors (a wrong key, an invalid job), with the API's message", async () => {
    const wrongKey = await rq(["queues"], { ...env, RQ_API_KEY: "not-the-key-0123456789" });
    expect(wrongKey.code).toBe(2);
    expect(wrongKey.stderr).toMatch(/\(401 unauthorized\)/);
    const invalid = await rq(
      ["submit", "echo", "--queue", queue, "--priority", "5", "--run-at", "soon"],
      env,
    );
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/runAt/);
  });

  it("3 for a job that does not exist, 5 for an API that cannot be reached", async () => {
    const missing = await rq(["get", `${queue}:999999`, "--json"], env);
    expect(missing.code).toBe(3);
    expect(JSON.parse(missing.stderr).error.code).toMatch(/not_found$/);
    const unreachable = await rq(["queues"], { RQ_URL: "http://127.0.0.1:9" });
    expect(unreachable.code).toBe(5);
    expect(unreachable.stderr).toBe("rq: cannot reach the API at http://127.0.0.1:9 (set RQ_URL or --url)\n");
  });
});
