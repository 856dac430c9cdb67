import { readFileSync, rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "@rqueue/shared";
import { logDestination } from "@rqueue/shared/log-destination";
import { afterAll, describe, expect, inject, it } from "vitest";
import { uniqueQueue, useRedis } from "../../shared/test/engine-fixture.js";
import { createLogger } from "./logger.js";
import { memoryLogger, startTestWorker, testConfig } from "./testing/in-process.js";
import { waitFor } from "./testing/wait.js";

const redisUrl = inject("redisUrl");
const dir = await mkdtemp(join(tmpdir(), "rq-log-format-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("worker log lines", () => {
  const redis = useRedis(redisUrl);

  it("logs every finished attempt with job id, type, attempt and duration, failures with their error", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("logs") });
    const logger = memoryLogger();
    await startTestWorker(testConfig(redisUrl, { RQ_QUEUES: queue.name }), { logger });
    const ok = await queue.add({ type: "echo", payload: { hello: 1 } });
    const bad = await queue.add({ type: "fail", payload: { message: "boom" }, maxAttempts: 1 });
    const line = (msg: string, id: string) =>
      waitFor(() => logger.lines.find((l) => l.msg === msg && (l.fields as { jobId?: string }).jobId === id));
    const completed = await line("job completed", ok.id);
    expect(completed.level).toBe("debug");
    expect(completed.fields).toMatchObject({ queue: queue.name, type: "echo", attempt: 1, maxAttempts: 3 });
    expect((completed.fields as { durationMs: number }).durationMs).toBeGreaterThanOrEqual(0);
    const failed = await line("job failed", bad.id);
    expect(failed.level).toBe("warn");
    expect(failed.fields).toMatchObject({ type: "fail", attempt: 1, maxAttempts: 1, error: "boom" });
  });

  it("writes JSON lines off a terminal and pretty lines on one", () => {
    const json = join(dir, "json.log");
    const text = join(dir, "pretty.log");
    createLogger({ role: "t" }, { destination: logDestination(false, json) }).warn("job failed", {
      jobId: "q:1",
    });
    createLogger({ role: "t" }, { destination: logDestination(true, text) }).warn("job failed", {
      jobId: "q:1",
    });
    const line = JSON.parse(readFileSync(json, "utf8").trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: "warn", msg: "job failed", role: "t", jobId: "q:1" });
    expect(new Date(String(line.time)).toISOString()).toBe(line.time);
    const pretty = readFileSync(text, "utf8");
    expect(pretty).toMatch(/WARN.*job failed/);
    expect(pretty).toContain('jobId: "q:1"');
    expect(pretty.trimStart().startsWith("{")).toBe(false);
  });
});
