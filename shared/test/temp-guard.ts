/**
 * The test run's own temporary directory: globalSetup points TMPDIR at a fresh
 * folder before any suite or child process starts, so whatever a harness forgets
 * stays inside it; at the end the folder is removed, and what was left in it is
 * named so the harness that leaked gets fixed. tsx's compile cache is expected.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const RUN_DIR_PREFIX = "rq-test-run-";
const EXPECTED = /^tsx-\d+$/;

export interface TempGuard {
  dir: string;
  /** Removes the run's folder; returns what tests left in it. */
  finish(): string[];
}

export function startTempGuard(env: NodeJS.ProcessEnv = process.env): TempGuard {
  const previous = env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), RUN_DIR_PREFIX));
  env.TMPDIR = dir;
  return {
    dir,
    finish() {
      const left = readdirSync(dir).filter((name) => !EXPECTED.test(name));
      rmSync(dir, { recursive: true, force: true });
      if (previous === undefined) delete env.TMPDIR;
      else env.TMPDIR = previous;
      return left;
    },
  };
}
