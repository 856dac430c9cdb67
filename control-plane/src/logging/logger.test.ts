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
});
