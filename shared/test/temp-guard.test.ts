import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { RUN_DIR_PREFIX, startTempGuard } from "./temp-guard.js";

describe("the test run's temporary directory", () => {
  it("is where this test worker's os.tmpdir() points", () => {
    expect(basename(tmpdir()).startsWith(RUN_DIR_PREFIX)).toBe(true);
  });

  it("names what was left in it, then removes it and restores TMPDIR", () => {
    const env: NodeJS.ProcessEnv = { TMPDIR: tmpdir() };
    const guard = startTempGuard(env);
    expect(env.TMPDIR).toBe(guard.dir);
    expect(dirname(guard.dir)).toBe(tmpdir());
    mkdirSync(join(guard.dir, "rq-leaky-abc123"));
    writeFileSync(join(guard.dir, "stray.health"), "");
    mkdirSync(join(guard.dir, "tsx-0"));
    expect(guard.finish().sort()).toEqual(["rq-leaky-abc123", "stray.health"]);
    expect(existsSync(guard.dir)).toBe(false);
    expect(env.TMPDIR).toBe(tmpdir());
  });
});
