/**
 * The built-in handlers and the registry that finds them: one file per type,
 * checked at load, each handler's behaviour on its own.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { UnrecoverableError } from "@rqueue/shared";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { scratchDirs } from "../../shared/test/scratch-dirs.js";
import type { HandlerContext, HandlerJob } from "./handler-definition.js";
import { type HandlerRegistry, loadHandlers, perType } from "./handler-registry.js";

const scratch = scratchDirs();

const registry: HandlerRegistry = await loadHandlers();

/** Runs a built-in handler directly, with its payload parsed as the processor would. */
async function run(type: string, payload: unknown, signal = new AbortController().signal) {
  const definition = registry.get(type)?.definition;
  if (!definition) throw new Error(`no handler ${type}`);
  const progress: number[] = [];
  const logs: string[] = [];
  const job: HandlerJob<unknown> = {
    id: "q:1",
    queue: "q",
    type,
    payload: v.parse(definition.payload, payload),
    attempt: 1,
    maxAttempts: 3,
    createdAt: Date.now(),
    parentIds: [],
  };
  const ctx: HandlerContext = {
    signal,
    attempt: 1,
    progress: async (percent) => void progress.push(percent),
    log: (message) => void logs.push(message),
    parentResults: async () => ({}),
  };
  const result = await definition.handle(job, ctx);
  return { result, progress, logs };
}

function handlerDir(files: Record<string, string>): string {
  const dir = scratch("rq-handlers-");
  for (const [name, source] of Object.entries(files)) writeFileSync(join(dir, name), source);
  return dir;
}

describe("handler registry", () => {
  it("finds one handler per file, with their per-type settings", () => {
    expect([...registry.keys()].sort()).toEqual(["cpu", "echo", "fail", "flaky", "noop", "sleep"]);
    expect(registry.get("cpu")?.definition.isolation).toBe("thread");
    expect(registry.get("fail")?.definition.circuitBreaker).toBe(false);
    expect(perType(registry, (definition) => definition.timeoutMs)).toBeUndefined();
  });

  it("names the file and field of an invalid definition", async () => {
    const dir = handlerDir({
      "bad.mjs": "export default { type: 'Bad Type', payload: {}, handle: 'nope', concurrency: 0 };",
    });
    await expect(loadHandlers(dir)).rejects.toThrow(
      /handler bad\.mjs is invalid: type: must match .*; payload: must be a valibot schema; handle: must be a function; concurrency: must be at least 1/,
    );
  });

  it("refuses a type defined twice, and a directory without handlers", async () => {
    const definition = "export default { type: 'same', payload: { kind: 'schema' }, handle() {} };";
    await expect(loadHandlers(handlerDir({ "a.mjs": definition, "b.mjs": definition }))).rejects.toThrow(
      /job type "same" is defined twice/,
    );
    await expect(loadHandlers(handlerDir({ "notes.txt": "not a handler" }))).rejects.toThrow(
      /no job handlers/,
    );
  });
});

describe("built-in handlers", () => {
  it("noop returns nothing and echo returns its payload", async () => {
    expect((await run("noop", {})).result).toBeUndefined();
    expect((await run("echo", { a: [1, "two"] })).result).toEqual({ a: [1, "two"] });
  });

  it("sleep waits, reports progress as it goes and logs", async () => {
    const startedAt = Date.now();
    const { result, progress, logs } = await run("sleep", { ms: 300 });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(295);
    expect(result).toEqual({ sleptMs: 300 });
    expect(progress).toEqual([33, 67]);
    expect(logs).toEqual(["sleeping 300 ms", "woke up"]);
  });

  it("sleep stops as soon as its signal aborts", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("canceled")), 50);
    const startedAt = Date.now();
    await expect(run("sleep", { ms: 10_000 }, controller.signal)).rejects.toMatchObject({
      name: "AbortError",
    });
    expect(Date.now() - startedAt).toBeLessThan(1_000);
  });

  it("cpu is deterministic", async () => {
    const first = (await run("cpu", { rounds: 500 })).result;
    expect(first).toEqual((await run("cpu", { rounds: 500 })).result);
    expect(first).not.toEqual((await run("cpu", { rounds: 501 })).result);
  });

  it("flaky fails at its rate; fail always fails, unrecoverably when asked", async () => {
    expect((await run("flaky", { failureRate: 0 })).result).toEqual({ ok: true });
    await expect(run("flaky", { failureRate: 1 })).rejects.toThrow("flaky failure (failure rate 1)");
    await expect(run("fail", {})).rejects.toThrow("failed on purpose");
    const error = await run("fail", { message: "bad input", unrecoverable: true }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect(error).toMatchObject({ message: "bad input" });
  });
});
