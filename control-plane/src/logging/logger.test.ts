import { readFileSync, rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { logDestination } from "@rqueue/shared/log-destination";
import { afterAll, describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";

const dir = await mkdtemp(join(tmpdir(), "rq-cp-log-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("control-plane logger", () => {
  it("writes the worker's JSON format off a terminal and pretty lines on one", () => {
    const json = join(dir, "json.log");
    const text = join(dir, "pretty.log");
    createLogger("info", logDestination(false, json)).warn({ requestId: "r1", authorization: "x" }, "slow");
    createLogger("info", logDestination(true, text)).warn({ requestId: "r1" }, "slow");
    const line = JSON.parse(readFileSync(json, "utf8").trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: "warn", msg: "slow", service: "control-plane", requestId: "r1" });
    expect(line.authorization).toBe("[redacted]");
    expect(new Date(String(line.time)).toISOString()).toBe(line.time);
    const pretty = readFileSync(text, "utf8");
    expect(pretty).toMatch(/WARN.*slow/);
    expect(pretty.trimStart().startsWith("{")).toBe(false);
  });

  it("never writes what a reply error carries of the command (an add's payloads)", () => {
    const file = join(dir, "reply-error.log");
    const error = Object.assign(new Error("ERR something failed in the add"), {
      command: { name: "fcall", args: ["rq_add_jobs", "6", '{"card":"4111-1111"}'] },
      payload: { card: "4111-1111" },
    });
    createLogger("info", logDestination(false, file)).error({ err: error }, "unhandled error");
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain("4111");
    const line = JSON.parse(text.trim()) as {
      err: { message: string; command: { name: string; args: string } };
    };
    expect(line.err.message).toBe("ERR something failed in the add");
    expect(line.err.command).toEqual({ name: "fcall", args: "[redacted]" });
  });
});
