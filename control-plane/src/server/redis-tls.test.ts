/**
 * Redis over TLS with an ACL user, end to end: a local redis-server with a
 * certificate generated here (openssl) and a `tls-port`, an ACL user `rq` (the
 * default user switched off), and the control plane started as in production —
 * `rediss://rq@…`, the password apart in REDIS_PASSWORD, the CA in REDIS_TLS_CA_FILE.
 * It serves jobs over that connection; and nothing it
 * answers or logs (errors, /metrics, OpenAPI) holds an API key or the password.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type RedisServerHandle, startRedisServer } from "../../../shared/test/redis-harness.js";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const REDIS_PASSWORD = "redis-acl-pw-6b1f0c2e9d";
const KEYS = { admin: "admin-tls-secret-4f8a2c91", read: "read-tls-secret-7e3d5b10" };
const SECRETS = [REDIS_PASSWORD, KEYS.admin, KEYS.read];

let dir: string;
let redis: RedisServerHandle;
let tlsPort: number;
let child: ChildProcess;
let baseUrl: string;
let output = "";
/** Every body the control plane answered in this test, for the secrets check. */
const answers: string[] = [];

async function waitForReady(): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`control plane exited ${child.exitCode}:\n${output}`);
    const ok = await fetch(`${baseUrl}/readyz`)
      .then((res) => res.ok)
      .catch(() => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function call(path: string, init: RequestInit & { key?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.key) headers.set("authorization", `Bearer ${init.key}`);
  const res = await fetch(`${baseUrl}${path}`, { ...init, headers });
  const text = await res.text();
  answers.push(text, JSON.stringify([...res.headers]));
  return new Response(text, { status: res.status, headers: res.headers });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rq-tls-"));
  const cert = join(dir, "redis.crt");
  const key = join(dir, "redis.key");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      key,
      "-out",
      cert,
    ],
    { stdio: "ignore" },
  );
  tlsPort = await freePort();
  redis = await startRedisServer({
    extraArgs: [
      "--tls-port",
      String(tlsPort),
      "--tls-cert-file",
      cert,
      "--tls-key-file",
      key,
      "--tls-ca-cert-file",
      cert,
      "--tls-auth-clients",
      "no",
    ],
  });
  const admin = new Redis(redis.url);
  await admin.call("ACL", "SETUSER", "rq", "on", `>${REDIS_PASSWORD}`, "~*", "&*", "+@all");
  await admin.call("ACL", "SETUSER", "default", "off");
  admin.disconnect();

  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, ["--conditions=development", "--import", "tsx", MAIN], {
    env: {
      PATH: process.env.PATH ?? "",
      REDIS_TLS_CA_FILE: cert,
      REDIS_URL: `rediss://rq@127.0.0.1:${tlsPort}`,
      REDIS_PASSWORD,
      RQ_API_KEYS: `admin-key:${KEYS.admin}:admin,read-key:${KEYS.read}:read`,
      RQ_REQUIRE_REGISTERED_TYPES: "0",
      RQ_DASHBOARD_DIR: "/nonexistent-dashboard",
      HOST: "127.0.0.1",
      PORT: String(port),
      LOG_LEVEL: "debug",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  await waitForReady();
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("Redis over TLS with an ACL user", () => {
  it("serves jobs over the TLS connection, authenticated as the ACL user", async () => {
    const submitted = await call("/v1/jobs", {
      method: "POST",
      key: KEYS.admin,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ type: "tls.check", queue: "tls" }),
    });
    expect(submitted.status).toBe(201);
    const { id } = (await submitted.json()) as { id: string };
    expect((await call(`/v1/jobs/${id}`, { key: KEYS.read })).status).toBe(200);

    const observer = new Redis(redis.url, { username: "rq", password: REDIS_PASSWORD });
    const clients = (await observer.call("CLIENT", "LIST")) as string;
    observer.disconnect();
    const controlPlane = clients.split("\n").filter((line) => line.includes("name=rq-control-plane"));
    expect(controlPlane.length).toBeGreaterThan(0);
    for (const line of controlPlane) {
      expect(line).toContain("user=rq");
      expect(line).toContain(`laddr=127.0.0.1:${tlsPort}`);
    }
  });

  it("never shows an API key or the Redis password in answers, errors, /metrics, OpenAPI or logs", async () => {
    await call("/v1/jobs", { method: "POST", key: KEYS.read, body: "{}" });
    await call("/v1/jobs", { method: "POST", key: `${KEYS.admin}x` });
    await call("/v1/jobs", {
      method: "POST",
      key: KEYS.admin,
      headers: { "content-type": "application/json" },
      body: `{"type": "a", "note": "${KEYS.read}"`,
    });
    await call("/v1/jobs?state=nope", { key: KEYS.read });
    await call("/v1/session", { key: KEYS.admin });
    await call("/metrics", { key: KEYS.admin });
    await call("/v1/metrics", { key: KEYS.admin });
    await call("/openapi.json");
    const captured = [...answers, output].join("\n");
    // What was captured includes the metrics, the OpenAPI document and the logs.
    expect(captured).toContain("rqueue_jobs");
    expect(captured).toContain('"openapi":"3.1');
    expect(captured).toContain("Redis");
    for (const secret of SECRETS) expect(captured).not.toContain(secret);
  });
});
