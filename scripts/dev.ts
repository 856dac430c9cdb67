/**
 * `make dev`: the whole stack on one machine with one command.
 *   - Redis: reuses the one at REDIS_URL when it answers; otherwise, for a local
 *     URL, starts redis-server with its data and its log under .data/redis (AOF
 *     everysec, noeviction), or says how to install it.
 *   - the control plane (PORT, default 8080; serves dashboard/dist at / once built)
 *   - the worker supervisor (1–10 workers, autoscaled) when worker-image has one
 * Honours REDIS_URL, PORT and RQ_API_KEYS; RQ_DEV_FROM_SOURCE=1 runs the TypeScript
 * sources through tsx instead of the compiled JavaScript (no build step, slower
 * starts). Ctrl-C, or SIGTERM to `make`, stops everything, Redis last.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import net from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { embeddedRedisArgs } from "./dev-redis.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";
const STOP_TIMEOUT_MS = 30_000;
const children: { name: string; child: ChildProcess }[] = [];
let stopping = false;

const say = (message: string) => process.stdout.write(`[dev] ${message}\n`);

/** Sends PING and resolves true on +PONG (or NOAUTH: something is there, the password comes later). */
function redisAnswers(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.createConnection({ host, port });
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once("error", () => finish(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => finish(/^(\+PONG|-NOAUTH)/.test(data.toString())));
  });
}

function start(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  // A process group of its own: Ctrl-C reaches us once, and we stop children in order.
  const child = spawn(command, args, {
    cwd: ROOT,
    env,
    stdio: ["ignore", "inherit", "inherit"],
    detached: true,
  });
  children.push({ name, child });
  child.on("exit", (code, signal) => {
    if (stopping) return;
    say(`${name} exited (${signal ?? `code ${code}`}); stopping the stack`);
    void stopAll(1);
  });
  return child;
}

function stopChild({ name, child }: { name: string; child: ChildProcess }): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      say(`${name} did not stop within ${STOP_TIMEOUT_MS / 1000} s; killing it`);
      child.kill("SIGKILL");
    }, STOP_TIMEOUT_MS);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

async function stopAll(code: number): Promise<never> {
  stopping = true;
  say("stopping…");
  const redis = children.find((c) => c.name === "redis");
  // Workers and the API first (they drain and finish requests), Redis last so they can.
  await Promise.all(children.filter((c) => c !== redis).map(stopChild));
  if (redis) await stopChild(redis);
  say("stopped");
  process.exit(code);
}

async function ensureRedis(url: string, explicit: boolean): Promise<void> {
  const parsed = new URL(url.replace(/^redis(s)?:/, "http:").replace(/^redis-cluster:/, "http:"));
  const host = parsed.hostname || "127.0.0.1";
  const port = Number(parsed.port || 6379);
  if (!url.startsWith("redis-cluster:") && (await redisAnswers(host, port))) {
    say(`using the Redis already running at ${host}:${port}`);
    return;
  }
  const local = ["127.0.0.1", "localhost", "::1"].includes(host) && url.startsWith("redis://");
  if (!local) {
    say(`Redis at ${url} does not answer. Start it, or unset REDIS_URL to run an embedded one.`);
    process.exit(1);
  }
  const dir = join(ROOT, ".data", "redis");
  mkdirSync(dir, { recursive: true });
  const child = start("redis", "redis-server", embeddedRedisArgs(port, dir), process.env);
  const missing = await new Promise<boolean>((resolve) => {
    child.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ENOENT"));
    child.once("spawn", () => resolve(false));
  });
  if (missing) {
    stopping = true;
    say(
      "redis-server is not installed. Install it (`make deps` does: apt-get install redis-server), " +
        `or point REDIS_URL at a running Redis.${explicit ? "" : ` (No Redis answered at ${DEFAULT_REDIS_URL}.)`}`,
    );
    process.exit(1);
  }
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers(host, port))) {
    if (Date.now() > deadline) {
      say(`redis-server did not answer on port ${port} within 10 s (is the port taken?)`);
      await stopAll(1);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  say(`started redis-server on 127.0.0.1:${port}, data and its log in .data/redis (AOF, noeviction)`);
}

async function waitForHttp(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

async function main(): Promise<void> {
  let firstSignalAt = 0;
  const onSignal = () => {
    if (!stopping) {
      firstSignalAt = Date.now();
      return void stopAll(0);
    }
    // Ctrl-C reaches us twice at once (from the terminal, and relayed by tsx): only a later one forces.
    if (Date.now() - firstSignalAt < 1_000) return;
    say("second signal: killing everything now");
    for (const { child } of children) child.kill("SIGKILL");
    process.exit(1);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const redisUrl = process.env.REDIS_URL || DEFAULT_REDIS_URL;
  const port = process.env.PORT || "8080";
  await ensureRedis(redisUrl, Boolean(process.env.REDIS_URL));

  // The archive and the blob store default to embedded ones under .data/ (a real server with RQ_ARCHIVE_URL).
  const archiveDir = process.env.RQ_ARCHIVE_URL
    ? undefined
    : (process.env.RQ_ARCHIVE_DIR ?? join(ROOT, ".data", "archive"));
  const blobDir = process.env.RQ_BLOB_S3_BUCKET
    ? undefined
    : (process.env.RQ_BLOB_DIR ?? join(ROOT, ".data", "blobs"));
  const env = {
    ...process.env,
    REDIS_URL: redisUrl,
    PORT: port,
    ...(archiveDir ? { RQ_ARCHIVE_DIR: archiveDir } : {}),
    ...(blobDir ? { RQ_BLOB_DIR: blobDir } : {}),
  };
  // Compiled JavaScript (`make build`, incremental): each of the up to ten worker
  // processes the supervisor starts loads in milliseconds, where transpiling
  // TypeScript at start-up took the cores a burst of jobs needed.
  const fromSource = process.env.RQ_DEV_FROM_SOURCE === "1";
  const entry = (workspace: string) =>
    fromSource
      ? ["--import", "tsx", "--conditions=development", join(ROOT, workspace, "src", "main.ts")]
      : [join(ROOT, workspace, "dist", "main.js")];
  start("control plane", process.execPath, entry("control-plane"), {
    ...env,
    RQ_DASHBOARD_DIR: join(ROOT, "dashboard", "dist"),
  });
  // The API listens on loopback while it has no keys (HOST changes it): ask it there.
  const api = `http://127.0.0.1:${port}`;
  // Transpiling the sources at start-up takes much longer on a busy machine.
  if (!(await waitForHttp(`${api}/healthz`, fromSource ? 120_000 : 20_000))) {
    say(`the control plane did not come up on port ${port}`);
    await stopAll(1);
  }

  const workers = fromSource || existsSync(join(ROOT, "worker-image", "dist", "main.js"));
  if (workers) start("workers", process.execPath, [...entry("worker-image"), "--autoscale"], env);

  say("");
  say(`API        ${api}   (docs: ${api}/docs, OpenAPI: ${api}/openapi.json)`);
  say(
    `Dashboard  ${existsSync(join(ROOT, "dashboard", "dist", "index.html")) ? `${api}/` : "not built yet"}`,
  );
  say(`Redis      ${redisUrl}`);
  say(`Archive    ${archiveDir ? `embedded PostgreSQL (PGlite) in ${archiveDir}` : "RQ_ARCHIVE_URL"}`);
  say(`Blobs      ${blobDir ?? `s3://${process.env.RQ_BLOB_S3_BUCKET}`}`);
  say(
    `Workers    ${workers ? "autoscaled 1-10, queue from RQ_QUEUES (default: default)" : "not available yet"}`,
  );
  say(
    `Auth       ${process.env.RQ_API_KEYS ? "API keys from RQ_API_KEYS" : "OPEN (no RQ_API_KEYS): every caller is admin"}`,
  );
  say("Ctrl-C stops everything.");
}

void main();
