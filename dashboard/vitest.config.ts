/** Component and unit tests of the dashboard: Solid compiled for the browser, in happy-dom. */
import { fileURLToPath } from "node:url";
import solid from "vite-plugin-solid";
import { defineConfig } from "vitest/config";

const shared = (file: string) => fileURLToPath(new URL(`../shared/src/${file}`, import.meta.url));

export default defineConfig({
  plugins: [solid()],
  resolve: {
    alias: {
      "@rqueue/shared/contract": shared("contract.ts"),
      "@rqueue/shared/client": shared("client/api-client.ts"),
    },
    conditions: ["browser"],
  },
  test: {
    root: fileURLToPath(new URL(".", import.meta.url)),
    include: ["src/**/*.test.{ts,tsx}"],
    environment: "happy-dom",
    setupFiles: ["src/test-setup.ts"],
    // Solid libraries ship JSX source: compile them with the plugin whatever directory vitest starts in.
    server: { deps: { inline: [/solid-js/, /@solidjs\/router/, /@solidjs\/testing-library/] } },
  },
});
