/**
 * Builds the dashboard into dist/, which the control plane serves at `/`.
 * `@rqueue/shared/contract` resolves to its TypeScript source (browser-safe by
 * test); chart.js is split into its own chunk, loaded only when a chart is shown.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import solid from "vite-plugin-solid";

const shared = (file: string) => fileURLToPath(new URL(`../shared/src/${file}`, import.meta.url));

export default defineConfig({
  plugins: [solid()],
  resolve: {
    alias: {
      "@rqueue/shared/contract": shared("contract.ts"),
      "@rqueue/shared/client": shared("client/api-client.ts"),
    },
  },
  build: {
    target: "es2022",
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 300,
  },
  server: {
    proxy: { "/v1": process.env.RQ_API ?? "http://127.0.0.1:8080" },
  },
});
