/**
 * Real-Redis test harness: starts throwaway `redis-server` processes (standalone or
 * cluster) on free ports with private data dirs, and makes sure none of them outlive
 * the process that started them. Tests never mock Redis; they run against these.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const HOST = "127.0.0.1";
/** Cluster nodes also listen on port + 10000 for the cluster bus. */
const CLUSTER_BUS_OFFSET = 10_000;
const MAX_PORT = 65_535;
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;
const CLUSTER_CREATE_TIMEOUT_MS = 20_000;
const CLUSTER_READY_TIMEOUT_MS = 20_000;
const POLL_INTERVAL_MS = 50;
const COMMAND_TIMEOUT_MS = 1_000;
const OUTPUT_TAIL_CHARS = 4_000;
/** A freshly freed port can be grabbed by someone else before redis binds it. */
const PORT_ATTEMPTS = 5;
const INSTALL_HINT = "run `make test` (which installs it) or `apt-get install redis-server`";

/** Servers still running and data dirs created by this process, for the exit cleanup. */
const liveChildren = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let cleanupInstalled = false;

export interface RedisServerHandle {
  host: string;
  port: number;
  /** redis://127.0.0.1:<port> */
  url: string;
  /** Data dir (AOF, nodes.conf); kept across stop()/start() so persisted data survives. */
  dir: string;
  /** Graceful shutdown (SIGTERM: flushes the AOF, no RDB save); no-op when not running. */
  stop(): Promise<void>;
  /** stop() then start(). */
  restart(): Promise<void>;
  /** SIGKILL, simulating a crash; no-op when not running. */
  kill(): Promise<void>;
  /** Starts again on the same port and dir and waits until it answers PING. */
  start(): Promise<void>;
  /** SIGSTOP: the process keeps its sockets open but answers nothing (a hung node). */
  freeze(): void;
  /** SIGCONT after freeze(). */
  thaw(): void;
}

export interface RedisServerOptions {
  /** Persist with an AOF, fsynced per `appendfsync` (default "always"). */
  appendonly?: boolean;
  appendfsync?: "always" | "everysec";
  /** Fixed port; by default a free one is picked. */
  port?: number;
  /** Extra `--name value` arguments appended to the redis-server command line. */
  extraArgs?: string[];
}

export interface RedisClusterHandle {
  /** Every node, masters and replicas, in the order redis-cli was given them. */
  nodes: RedisServerHandle[];
  /** redis-cluster://127.0.0.1:p1,127.0.0.1:p2,... */
  url: string;
  /** With the `tls` option: rediss-cluster:// and the nodes' TLS ports. */
  tlsUrl?: string;
  startupNodes: { host: string; port: number }[];
  /** Stops every node for good and removes their data folders. */
  stop(): Promise<void>;
  /** The node's own view of its role (INFO replication); undefined when it does not answer. */
  role(node: RedisServerHandle): Promise<NodeRole | undefined>;
  /**
   * Waits until `node` holds `role` (as a replica: of `masterPort` when given, with its
   * replication link up), as a failover or a rejoin ends; fails after `timeoutMs`.
   */
  waitForRole(
    node: RedisServerHandle,
    role: "master" | "replica",
    options?: { masterPort?: number; timeoutMs?: number },
  ): Promise<void>;
}

export interface NodeRole {
  role: "master" | "replica";
  /** A replica's master. */
  masterPort?: number;
  /** A replica's replication link to its master is up. */
  linkUp: boolean;
  /** A master's replicas, by port. */
  replicaPorts: number[];
}

/**
 * A port nobody is listening on right now. With `clusterBus`, port + 10000 is free too,
 * because a cluster node fails to start when it cannot bind its bus port.
 */
export async function freePort(opts: { clusterBus?: boolean } = {}): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await bindAndRelease(0);
    if (!opts.clusterBus) return port;
    const busPort = port + CLUSTER_BUS_OFFSET;
    if (busPort <= MAX_PORT && (await isPortFree(busPort))) return port;
  }
  throw new Error(
    `could not find a free port on ${HOST} whose cluster bus port (+${CLUSTER_BUS_OFFSET}) is free`,
  );
}

export function startRedisServer(opts: RedisServerOptions = {}): Promise<RedisServerHandle> {
  return startServer(opts, false);
}

export interface RedisClusterOptions {
  masters?: number;
  /**
   * Replicas per master (default 0). With replicas, a master that dies or hangs past
   * the node timeout is replaced by its replica, as in production; the handle is
   * returned once every replica's link to its master is up.
   */
  replicas?: number;
  /** cluster-node-timeout (default 5000 ms): how long a silent node takes to be failed over. */
  nodeTimeoutMs?: number;
  /** Extra `--name value` arguments for every node, e.g. `--cluster-require-full-coverage no`. */
  extraArgs?: string[];
  /**
   * Every node also listens with TLS (certificate and key PEM files; clients are not asked
   * for certificates) and the cluster bus and replication use it, so TLS clients are told
   * the nodes' TLS ports; `tlsUrl` then lists them (rediss-cluster://).
   */
  tls?: { certFile: string; keyFile: string; caFile: string };
}

export async function startRedisCluster(opts: RedisClusterOptions = {}): Promise<RedisClusterHandle> {
  const masters = opts.masters ?? 3;
  const replicas = opts.replicas ?? 0;
  if (!Number.isInteger(masters) || masters < 3) {
    throw new Error(`redis-cli --cluster create needs at least 3 masters, got ${masters}`);
  }
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new Error(`replicas per master must be a whole number, got ${replicas}`);
  }
  const clusterArgs = [
    "--cluster-enabled",
    "yes",
    "--cluster-config-file",
    "nodes.conf",
    "--cluster-node-timeout",
    String(opts.nodeTimeoutMs ?? 5000),
    "--appendonly",
    "no",
    ...(opts.extraArgs ?? []),
  ];
  const tlsPorts: number[] = [];
  const tlsArgs = async () => {
    if (!opts.tls) return [];
    const port = await freePort();
    tlsPorts.push(port);
    const { certFile, keyFile, caFile } = opts.tls;
    return [
      ...["--tls-port", String(port), "--tls-cert-file", certFile, "--tls-key-file", keyFile],
      ...["--tls-ca-cert-file", caFile, "--tls-auth-clients", "no"],
      ...["--tls-cluster", "yes", "--tls-replication", "yes"],
    ];
  };
  const started = await Promise.allSettled(
    Array.from({ length: masters * (1 + replicas) }, async () =>
      startServer({ extraArgs: [...clusterArgs, ...(await tlsArgs())] }, true),
    ),
  );
  const nodes = started.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
  // For good: the nodes' data folders go too (a cluster is never started again).
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.stop()));
    for (const node of nodes) removeTempDir(node.dir);
  };
  const failed = started.find((result) => result.status === "rejected");
  if (failed) {
    await stop();
    throw failed.reason;
  }

  try {
    await runRedisCli(
      [
        "--cluster",
        "create",
        ...nodes.map((node) => `${node.host}:${node.port}`),
        "--cluster-replicas",
        String(replicas),
        "--cluster-yes",
      ],
      CLUSTER_CREATE_TIMEOUT_MS,
    );
    await waitForClusterOk(nodes);
    const roles = await Promise.all(nodes.map((node) => readRole(node.port)));
    await Promise.all(
      nodes.map((node, i) =>
        roles[i]?.role === "replica" ? waitForRole(node, "replica", {}, CLUSTER_READY_TIMEOUT_MS) : undefined,
      ),
    );
  } catch (error) {
    await stop();
    throw error;
  }

  const startupNodes = nodes.map(({ host, port }) => ({ host, port }));
  const url = `redis-cluster://${startupNodes.map(({ host, port }) => `${host}:${port}`).join(",")}`;
  return {
    nodes,
    url,
    ...(opts.tls
      ? { tlsUrl: `rediss-cluster://${tlsPorts.map((port) => `${HOST}:${port}`).join(",")}` }
      : {}),
    startupNodes,
    stop,
    role: (node) => readRole(node.port),
    waitForRole: (node, role, options = {}) =>
      waitForRole(node, role, options, options.timeoutMs ?? CLUSTER_READY_TIMEOUT_MS),
  };
}

async function readRole(port: number): Promise<NodeRole | undefined> {
  const info = await sendCommand(port, "INFO replication").catch(() => undefined);
  if (info === undefined || !/^role:/m.test(info)) return undefined;
  const field = (name: string) => new RegExp(`^${name}:(.*?)\r?$`, "m").exec(info)?.[1];
  const replicaPorts = [...info.matchAll(/^slave\d+:.*?port=(\d+)/gm)].map((match) => Number(match[1]));
  if (field("role") === "master") return { role: "master", linkUp: false, replicaPorts };
  return {
    role: "replica",
    masterPort: Number(field("master_port")),
    linkUp: field("master_link_status") === "up",
    replicaPorts,
  };
}

async function waitForRole(
  node: RedisServerHandle,
  role: "master" | "replica",
  options: { masterPort?: number },
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await readRole(node.port);
    const holds =
      now?.role === role &&
      (role === "master" ||
        (now.linkUp && (options.masterPort === undefined || now.masterPort === options.masterPort)));
    if (holds) return;
    if (Date.now() > deadline) {
      const wanted = role === "replica" && options.masterPort ? `replica of ${options.masterPort}` : role;
      throw new Error(
        `redis-server on port ${node.port} did not become ${wanted} within ${timeoutMs / 1000} s (now: ${JSON.stringify(now)})`,
      );
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

class PortInUseError extends Error {}

interface RunningServer {
  child: ChildProcess;
  /** Resolves once the process has exited; never rejects. */
  exited: Promise<void>;
}

async function startServer(opts: RedisServerOptions, clusterBus: boolean): Promise<RedisServerHandle> {
  installCleanup();
  const dir = await mkdtemp(join(tmpdir(), "rqueue-redis-"));
  tempDirs.add(dir);
  const argsFor = (port: number): string[] => [
    "--port",
    String(port),
    "--bind",
    HOST,
    "--dir",
    dir,
    "--save",
    "",
    "--daemonize",
    "no",
    "--maxmemory-policy",
    "noeviction",
    ...(opts.appendonly ? ["--appendonly", "yes", "--appendfsync", opts.appendfsync ?? "always"] : []),
    ...(opts.extraArgs ?? []),
  ];

  if (opts.port !== undefined) {
    const args = argsFor(opts.port);
    return createHandle(opts.port, dir, args, await spawnServer(opts.port, args));
  }
  for (let attempt = 1; ; attempt++) {
    const port = await freePort({ clusterBus });
    const args = argsFor(port);
    try {
      return createHandle(port, dir, args, await spawnServer(port, args));
    } catch (error) {
      if (!(error instanceof PortInUseError) || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}

function createHandle(port: number, dir: string, args: string[], running: RunningServer): RedisServerHandle {
  let current: RunningServer | undefined = running;
  const stopWith = async (signal: NodeJS.Signals): Promise<void> => {
    const server = current;
    current = undefined;
    if (server) await terminate(server, signal);
  };
  const handle: RedisServerHandle = {
    host: HOST,
    port,
    url: `redis://${HOST}:${port}`,
    dir,
    stop: () => stopWith("SIGTERM"),
    kill: () => stopWith("SIGKILL"),
    async start() {
      if (current)
        throw new Error(`redis-server on port ${port} is already running (pid ${current.child.pid})`);
      current = await spawnServer(port, args);
    },
    async restart() {
      await handle.stop();
      await handle.start();
    },
    freeze: () => current?.child.kill("SIGSTOP"),
    thaw: () => current?.child.kill("SIGCONT"),
  };
  return handle;
}

/** Spawns redis-server and resolves once it answers PING, i.e. has finished loading. */
async function spawnServer(port: number, args: string[]): Promise<RunningServer> {
  const child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString("utf8")).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  let spawnError: NodeJS.ErrnoException | undefined;
  const exited = new Promise<void>((resolve) => {
    const done = (): void => {
      liveChildren.delete(child);
      resolve();
    };
    child.once("exit", done);
    child.once("error", (error) => {
      spawnError = error;
      done();
    });
  });
  liveChildren.add(child);
  // A forgotten server must never keep a test process alive; the cleanup hooks reap it.
  child.unref();
  // stdio pipes are sockets at runtime, though typed as plain Readables.
  (child.stdout as net.Socket).unref();
  (child.stderr as net.Socket).unref();

  const server = { child, exited };
  try {
    await waitUntilServing(server, port, () => output);
  } catch (error) {
    await terminate(server, "SIGKILL");
    if (spawnError?.code === "ENOENT") throw new Error(`redis-server not found on PATH: ${INSTALL_HINT}`);
    throw spawnError ?? error;
  }
  return server;
}

async function waitUntilServing(server: RunningServer, port: number, output: () => string): Promise<void> {
  const { child } = server;
  const failure = (what: string): string => `redis-server on port ${port} ${what}. Output tail:\n${output()}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (hasExited(server)) {
      const status = child.signalCode ? `signal ${child.signalCode}` : `exit code ${child.exitCode}`;
      const message = failure(`exited during startup (${status})`);
      throw /Address already in use/i.test(output()) ? new PortInUseError(message) : new Error(message);
    }
    if ((await sendCommand(port, "PING").catch(() => "")) === "+PONG") {
      // Another process may own the port (ours then fails to bind): never hand that one out.
      const info = await sendCommand(port, "INFO server");
      if (info.includes(`process_id:${child.pid}\r\n`)) return;
      throw new PortInUseError(failure("could not bind: another server answers on that port"));
    }
    if (Date.now() > deadline)
      throw new Error(failure(`did not answer PING within ${START_TIMEOUT_MS / 1000} s`));
    await sleep(POLL_INTERVAL_MS);
  }
}

function hasExited({ child }: RunningServer): boolean {
  return child.exitCode !== null || child.signalCode !== null || child.pid === undefined;
}

async function terminate(server: RunningServer, signal: NodeJS.Signals): Promise<void> {
  if (!hasExited(server)) {
    // A frozen server would never act on SIGTERM.
    server.child.kill("SIGCONT");
    server.child.kill(signal);
  }
  if (await settlesWithin(server.exited, STOP_TIMEOUT_MS)) return;
  server.child.kill("SIGKILL");
  await server.exited;
}

async function waitForClusterOk(nodes: RedisServerHandle[]): Promise<void> {
  const deadline = Date.now() + CLUSTER_READY_TIMEOUT_MS;
  for (;;) {
    const infos = await Promise.all(
      nodes.map((node) => sendCommand(node.port, "CLUSTER INFO").catch((error: Error) => error.message)),
    );
    // Every node must also know all the others, or clients that start from it get wrong redirects.
    const ready = infos.every(
      (info) =>
        /^cluster_state:ok\r?$/m.test(info) &&
        new RegExp(`^cluster_known_nodes:${nodes.length}\\r?$`, "m").test(info),
    );
    if (ready) return;
    if (Date.now() > deadline) {
      const report = nodes.map((node, i) => `--- ${node.host}:${node.port}\n${infos[i]}`).join("\n");
      throw new Error(
        `Redis cluster did not reach cluster_state:ok on every node within ${CLUSTER_READY_TIMEOUT_MS / 1000} s:\n${report}`,
      );
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

/** Runs redis-cli to completion and returns its output; rejects on a non-zero exit. */
function runRedisCli(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("redis-cli", args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString("utf8")).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`redis-cli ${args.join(" ")} timed out after ${timeoutMs / 1000} s:\n${output}`));
    }, timeoutMs);
    child.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(error.code === "ENOENT" ? new Error(`redis-cli not found on PATH: ${INSTALL_HINT}`) : error);
    });
    // "close" rather than "exit" so the output is complete when we report it.
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else
        reject(
          new Error(`redis-cli ${args.join(" ")} failed (${signal ?? `exit code ${code}`}):\n${output}`),
        );
    });
  });
}

/**
 * Sends one inline command and returns the reply: the payload of a bulk string, or the
 * whole line (with its +/-/: prefix) otherwise. Enough for PING and INFO-style replies
 * without depending on a client library.
 */
function sendCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ host: HOST, port });
    let received = Buffer.alloc(0);
    socket.setTimeout(COMMAND_TIMEOUT_MS, () => socket.destroy(new Error(`no reply to ${command} in time`)));
    socket.once("connect", () => socket.write(`${command}\r\n`));
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const reply = parseReply(received);
      if (reply === undefined) return;
      socket.destroy();
      resolve(reply);
    });
    socket.once("error", reject);
    // A no-op once resolved; otherwise the server hung up mid-reply.
    socket.once("close", () => reject(new Error(`connection closed before a reply to ${command}`)));
  });
}

function parseReply(buffer: Buffer): string | undefined {
  const lineEnd = buffer.indexOf("\r\n");
  if (lineEnd === -1) return undefined;
  const line = buffer.subarray(0, lineEnd).toString("utf8");
  if (!line.startsWith("$")) return line;
  const length = Number(line.slice(1));
  const bodyStart = lineEnd + 2;
  if (length < 0) return "";
  if (buffer.length < bodyStart + length + 2) return undefined;
  return buffer.subarray(bodyStart, bodyStart + length).toString("utf8");
}

function bindAndRelease(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(port, HOST, () => {
      const { port: bound } = server.address() as net.AddressInfo;
      server.close(() => resolve(bound));
    });
  });
}

async function isPortFree(port: number): Promise<boolean> {
  try {
    await bindAndRelease(port);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES") return false;
    throw error;
  }
}

/** Waits for `promise` up to `ms`, clearing the timer so it never holds the process open. */
async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Kills every server this process started and removes their data dirs, on normal exit
 * and on SIGTERM, which is how vitest stops its worker processes (no "exit" event then).
 * Ctrl-C needs nothing: SIGINT reaches redis-server directly through the process group.
 */
/** Removes the data folders of this process's servers; for when all of them are stopped for good. */
export function removeTempDirs(): void {
  for (const dir of tempDirs) removeTempDir(dir);
}

function removeTempDir(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    tempDirs.delete(dir);
  } catch {
    // Best effort: a leftover temp dir must not turn a passing run into a crash at exit.
  }
}

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  const cleanup = (): void => {
    for (const child of liveChildren) child.kill("SIGKILL");
    removeTempDirs();
  };
  process.once("exit", cleanup);
  process.once("SIGTERM", () => {
    cleanup();
    // Re-raise only when nobody else handles SIGTERM, so its default (terminate) still happens.
    if (process.listenerCount("SIGTERM") === 0) process.kill(process.pid, "SIGTERM");
  });
}
