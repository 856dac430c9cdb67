/**
 * The contract entry and the typed client must stay browser-safe: bundling them for
 * the browser pulls in no ioredis, no Node built-in and no engine module, and the
 * schemas work where `Buffer` does not exist.
 */
import { fileURLToPath } from "node:url";
import { runInNewContext } from "node:vm";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const entry = fileURLToPath(new URL("./contract.ts", import.meta.url));
const clientEntry = fileURLToPath(new URL("./client/api-client.ts", import.meta.url));

async function bundleContract(entryPoint = entry) {
  const result = await build({
    entryPoints: [entryPoint],
    bundle: true,
    platform: "browser",
    format: "iife",
    globalName: "contract",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  return { code: result.outputFiles[0]?.text ?? "", inputs: Object.keys(result.metafile.inputs) };
}

describe("@rqueue/shared/contract", () => {
  it("bundles for the browser without ioredis, Node built-ins or engine modules", async () => {
    const { inputs } = await bundleContract();
    expect(inputs.some((path) => path.includes("ioredis"))).toBe(false);
    expect(inputs.some((path) => path.startsWith("node:"))).toBe(false);
    const engine = inputs.filter((path) =>
      /shared\/src\/(queue|consumer|redis|scripts|workers)\//.test(path),
    );
    expect(engine).toEqual([]);
  });

  it("keeps the typed API client browser-safe too", async () => {
    const { inputs } = await bundleContract(clientEntry);
    expect(inputs.filter((path) => path.includes("ioredis") || path.startsWith("node:"))).toEqual([]);
    expect(
      inputs.filter((path) => /shared\/src\/(queue|consumer|redis|scripts|workers)\//.test(path)),
    ).toEqual([]);
  });

  it("validates job input and counts UTF-8 bytes where Buffer does not exist", async () => {
    const { code } = await bundleContract();
    const sandbox: Record<string, unknown> = {};
    runInNewContext(`${code}; globalThis.result = contract;`, sandbox);
    const contract = sandbox.result as typeof import("./contract.js");
    expect("Buffer" in sandbox).toBe(false);
    for (const text of ["plain", "é ü", "日本語", "emoji 🚀🎉", "lone \ud83d surrogate", ""]) {
      expect(contract.utf8Length(text)).toBe(Buffer.byteLength(text, "utf8"));
    }
    expect(contract.parseJobId("default:42")).toEqual({ queue: "default", seq: "42" });
    // Standard Schema's validate, run inside the sandbox so the input is one of its own objects.
    const outcome = runInNewContext(
      `result.JobInputSchema["~standard"].validate({ type: "echo", payload: { text: "héllo 🚀" } })`,
      sandbox,
    ) as { issues?: unknown[] };
    expect(outcome.issues).toBeUndefined();
  });
});
