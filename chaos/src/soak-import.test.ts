/**
 * `make soak` runs soak.ts with plain node, outside vitest: nothing it imports may need
 * a running vitest (test support that registers afterAll at import time broke it once).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

it("soak.ts loads outside vitest, as make soak runs it", () => {
  const run = spawnSync(
    process.execPath,
    [
      "--conditions=development",
      "--import",
      "tsx",
      "--input-type=module",
      "-e",
      'await import("./chaos/src/soak.ts")',
    ],
    { cwd: fileURLToPath(new URL("../../", import.meta.url)), encoding: "utf8", timeout: 60_000 },
  );
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
});
