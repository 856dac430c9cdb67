/**
 * examples/own-handlers, both ways, against a real redis-server and the built
 * packages (dist, as a user of the published packages gets them):
 *   (a) the example's own Node process, importing @rqueue/worker, completes a job
 *   (b) the image layout its Dockerfile would produce FROM the worker image,
 *       laid out without Docker, runs the image's entrypoint, which loads the
 *       handlers folder (RQ_HANDLERS_DIR) and completes a job
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRedis, type Job, Queue, type RedisClient } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it, onTestFailed } from "vitest";
import { uniqueQueue } from "../../../shared/test/engine-fixture.js";
import { scratchDirs } from "../../../shared/test/scratch-dirs.js";
import { buildImageLayout } from "./image-layout.js";

const scratch = scratchDirs();

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const EXAMPLE = fileURLToPath(new URL("../", import.meta.url));
const redisUrl = inject("redisUrl");
let redis: RedisClient;
const children = new Set<ChildProcess>();

beforeAll(() => {
  for (const built of ["shared/dist/index.js", "worker-image/dist/index.js", "worker-image/dist/main.js"]) {
    if (!existsSync(join(REPO, built))) throw new Error(`${built} is missing: run \`make build\` first`);
  }
  redis = createRedis(redisUrl);
});

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await redis?.quit();
});

/** Starts a process without the development condition, so packages resolve to their dist. */
function start(args: string[], cwd: string, env: Record<string, string>) {
  const child = spawn(process.execPath, args, {
    cwd,
    env: {
      PATH: process.env.PATH ?? "",
      RQ_HEARTBEAT_MS: "200",
      RQ_HEALTH_FILE: join(scratch("rq-own-"), "health"),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  const output: string[] = [];
  child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  onTestFailed(() => void process.stderr.write(`--- ${args.join(" ")} output:\n${output.join("")}\n`));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    exited,
    async stop() {
      child.kill("SIGTERM");
      const code = await exited;
      children.delete(child);
      return code;
    },
  };
}

async function completed(queue: Queue, id: string, timeoutMs = 30_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await queue.getJob(id);
    if (job && ["completed", "failed", "canceled"].includes(job.state)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} is still ${job?.state} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("examples/own-handlers", () => {
  it("(a) a Node process of one's own runs its handlers with @rqueue/worker", async () => {
    const queue = new Queue({ redis, name: uniqueQueue("own-node") });
    const { id } = await queue.add({
      type: "send-welcome",
      payload: { email: "ada@example.com", name: "Ada" },
    });
    const worker = start(["--import", "tsx", join(EXAMPLE, "node-process/worker.ts")], EXAMPLE, {
      REDIS_URL: redisUrl,
      RQ_QUEUES: queue.name,
    });
    const job = await completed(queue, id);
    expect(job).toMatchObject({
      state: "completed",
      result: { to: "ada@example.com", subject: "Welcome, Ada!" },
    });
    expect(await worker.stop()).toBe(0);
  });

  it("(b) an image FROM the worker image with a handlers folder runs them through the image's entrypoint", async () => {
    const layout = buildImageLayout(join(REPO, "worker-image/Dockerfile"), join(EXAMPLE, "image/Dockerfile"));
    try {
      expect(layout.command).toEqual(["node", "worker-image/dist/main.js"]);
      expect(layout.env.RQ_HANDLERS_DIR).toBe(join(layout.root, "handlers"));
      const queue = new Queue({ redis, name: uniqueQueue("own-image") });
      // One job at a time, `echo` first: had the built-in handlers been loaded too, it would run before `word-count`.
      const builtIn = await queue.add({ type: "echo", payload: {}, priority: 10 });
      const counted = await queue.add({
        type: "word-count",
        payload: { text: "the quick brown fox" },
        priority: 1,
      });
      const [program = "", ...args] = layout.command;
      expect(program).toBe("node");
      const worker = start(args, layout.root, {
        ...layout.env,
        REDIS_URL: redisUrl,
        RQ_QUEUES: queue.name,
        RQ_CONCURRENCY: "1",
      });
      expect(await completed(queue, counted.id)).toMatchObject({ state: "completed", result: { words: 4 } });
      // The folder replaced the built-in handlers: nothing here runs `echo`.
      expect((await queue.getJob(builtIn.id))?.state).toBe("pending");
      expect(await worker.stop()).toBe(0);
    } finally {
      layout.remove();
    }
  });
});
