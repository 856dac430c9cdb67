/**
 * Test support: temporary folders that are removed when the test file ends.
 * Call `scratchDirs()` at a file's (or describe's) top level, where it can
 * register its afterAll; the returned function makes a folder under the system
 * temp directory, which global-setup.ts points at a folder of the run's own.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

export function scratchDirs(): (prefix: string) => string {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return (prefix) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}
