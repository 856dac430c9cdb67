import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["development"] },
  ssr: { resolve: { conditions: ["development"] } },
  test: {
    include: ["**/src/**/*.test.ts", "**/test/**/*.test.ts"],
    // The dashboard has its own configs (happy-dom components, browser end to end).
    exclude: ["**/node_modules/**", "**/dist/**", "dashboard/**", "chaos/**"],
    globalSetup: ["shared/test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
