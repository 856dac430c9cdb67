import { spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ConfigError, loadConfig } from "../config/config.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";
import { listeningLine } from "./listen-error.js";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const KEY = "k".repeat(32);

/** Runs the real entry point until it prints its start line (then stops it) or exits. */
function runMain(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--conditions=development", "--import", "tsx", MAIN], {
      env: { PATH: process.env.PATH ?? "", RQ_MAINTAIN_INTERVAL_MS: "0", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes("listening on")) child.kill("SIGTERM");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("errors that explain themselves", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(inject("redisUrl"), { RQ_API_KEYS: `ops:${KEY}:admin` });
  });
  afterAll(() => t.close());

  it("says so when the Authorization header lacks Bearer", async () => {
    const usage = "send Authorization: Bearer <key>";
    for (const [header, message] of [
      [KEY, `the Authorization header has no "Bearer " before the key: ${usage}`],
      [`Token ${KEY}`, `the Authorization scheme must be Bearer: ${usage}`],
      ["Bearer", `the Bearer key is missing: ${usage}`],
      [`Bearer ${"x".repeat(32)}`, "the API key is not valid"],
    ]) {
      const res = await t.request("/v1/queues", { headers: { Authorization: header as string } });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { message: string } }).error.message).toBe(message);
    }
    const none = await t.request("/v1/queues");
    expect(((await none.json()) as { error: { message: string } }).error.message).toBe(
      `an API key is needed: ${usage}`,
    );
  });

  it("lists the valid LOG_LEVEL values", () => {
    const error = (() => {
      try {
        loadConfig({ LOG_LEVEL: "verbose" });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toContain(
      "LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent",
    );
  });
});

describe("where the API listens", () => {
  it("binds loopback by default while it has no API keys, every interface with keys, HOST otherwise", () => {
    expect(loadConfig({}).host).toBe("127.0.0.1");
    expect(loadConfig({ RQ_API_KEYS: `ops:${KEY}:admin` }).host).toBe("0.0.0.0");
    expect(loadConfig({ HOST: "0.0.0.0" }).host).toBe("0.0.0.0");
  });

  it("says so in its start line", () => {
    expect(listeningLine("http://127.0.0.1:8080", "127.0.0.1", true)).toBe(
      "control plane listening on http://127.0.0.1:8080 (loopback only while the API is open: set HOST=0.0.0.0 to listen on every interface)",
    );
    expect(listeningLine("http://127.0.0.1:8080", "0.0.0.0", false)).toContain("(every interface)");
  });

  it("answers a busy PORT with one clear line, not a stack", async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const failed = await runMain({ REDIS_URL: inject("redisUrl"), PORT: String(port) });
      expect(failed.code).toBe(1);
      expect(failed.stderr).toBe(
        `R-queue control plane: port ${port} is already in use on 127.0.0.1 (another control plane or make dev?): stop it or set PORT to a free port\n`,
      );
    } finally {
      busy.close();
    }
  });
});
