/**
 * The chaos suite and the soak run on their own (`make chaos`, `make soak`, and
 * after the unit tests in `make test`): one file at a time, so the faults they
 * inject and the timings they measure do not share two cores with other suites.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["development"] },
  ssr: { resolve: { conditions: ["development"] } },
  test: {
    root: fileURLToPath(new URL("..", import.meta.url)),
    include: ["chaos/src/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 120_000,
  },
});
