/**
 * Opens Redis connections from one URL, standalone or Cluster, with the reconnect
 * behaviour a queue needs: command connections retry forever with a capped
 * backoff, so a Redis restart heals without restarting the process; blocking
 * connections are separate and never time out a command on their own.
 *
 * URLs: `redis://[:password@]host:port[/db]`, `rediss://…` (TLS),
 * `redis-cluster://[:password@]host:port,host:port,…` for Redis Cluster, or
 * `rediss-cluster://…` for a Cluster over TLS (every node, as discovered, too).
 */
import { readFileSync } from "node:fs";
import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { RedisClient } from "../scripts/load-scripts.js";
import { masterNodes } from "./master-nodes.js";

export type { RedisClient };

export interface ConnectionOptions {
  /** Overrides the password in the URL (e.g. from a secret). */
  password?: string | undefined;
  /** Blocking connections wait on BZPOPMIN/XREAD: no per-command retry limit. */
  blocking?: boolean;
  /**
   * Fail commands at once while disconnected instead of queueing them until Redis
   * is back. The control plane wants this (answer 503 fast); workers do not.
   */
  failFast?: boolean;
  connectionName?: string;
  /**
   * Fails a command that gets no answer within this long (a hung or overloaded
   * Redis), instead of waiting as long as the socket lives. Never for blocking
   * connections, whose commands wait on purpose.
   */
  commandTimeoutMs?: number;
  /**
   * Connection-level errors (refused, reset) while ioredis reconnects on its own.
   * Commands that fail still reject; this only observes the socket.
   */
  onError?: (error: Error) => void;
  /**
   * PEM certificates to trust for TLS connections (rediss://, rediss-cluster://) instead
   * of the system's, e.g. a private CA's; see readCaFile.
   */
  tlsCa?: string | undefined;
}

/**
 * Reads a PEM CA bundle for ConnectionOptions.tlsCa; throws a message that names the
 * file (never its content) when it cannot be read or holds no certificate.
 */
export function readCaFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  if (!text.includes("-----BEGIN CERTIFICATE-----")) throw new Error(`${path} holds no PEM certificate`);
  return text;
}

/** The Redis URLs createRedis understands, for the configurations that take one. */
export const REDIS_URL_PATTERN = /^(redis|rediss|redis-cluster|rediss-cluster):\/\/\S+$/;
export const REDIS_URL_MESSAGE = "must be a redis://, rediss://, redis-cluster:// or rediss-cluster:// URL";

/**
 * The CA to trust from REDIS_TLS_CA_FILE, for a configuration: read and checked, and
 * refused for a URL without TLS (where it would silently do nothing).
 */
export function redisTlsCa(
  url: string,
  caFile: string | undefined,
): { ok: true; tlsCa: string | undefined } | { ok: false; problem: string } {
  if (!caFile) return { ok: true, tlsCa: undefined };
  if (!isTlsUrl(url)) {
    return { ok: false, problem: "REDIS_TLS_CA_FILE: needs a rediss:// or rediss-cluster:// REDIS_URL" };
  }
  try {
    return { ok: true, tlsCa: readCaFile(caFile) };
  } catch (error) {
    return { ok: false, problem: `REDIS_TLS_CA_FILE: ${(error as Error).message}` };
  }
}

/** Whether a Redis URL asks for TLS. */
export function isTlsUrl(url: string): boolean {
  return url.startsWith("rediss://") || url.startsWith("rediss-cluster://");
}

const retryStrategy = (attempt: number) => Math.min(50 * 2 ** attempt, 2_000);

function baseOptions(options: ConnectionOptions): RedisOptions {
  return {
    // RESP2 on purpose: our scripts return nested arrays and ioredis 5 speaks RESP2;
    // it is also what BullMQ uses, so benchmarks compare like with like.
    maxRetriesPerRequest: options.blocking ? null : options.failFast ? 0 : 20,
    enableOfflineQueue: !options.failFast,
    retryStrategy,
    connectTimeout: 5_000,
    lazyConnect: false,
    ...(options.password ? { password: options.password } : {}),
    ...(options.connectionName ? { connectionName: options.connectionName } : {}),
    // Blocking: cleared explicitly, since duplicate() would copy the command connection's timeout.
    commandTimeout: options.blocking ? undefined : options.commandTimeoutMs,
  };
}

export function isClusterUrl(url: string): boolean {
  return url.startsWith("redis-cluster://") || url.startsWith("rediss-cluster://");
}

export function createRedis(url: string, options: ConnectionOptions = {}): RedisClient {
  const client = isClusterUrl(url)
    ? createCluster(url, options)
    : new Redis(withPassword(url, options.password), {
        ...baseOptions(options),
        ...(options.tlsCa && isTlsUrl(url) ? { tls: { ca: options.tlsCa } } : {}),
      });
  return observeErrors(client, options);
}

/**
 * The URL with the password put in it. ioredis lets what the URL says win over the
 * options, and `rediss://user@host` says the password is empty: a separate
 * password (a secret injected apart from the URL, for an ACL user) would be ignored.
 */
function withPassword(url: string, password: string | undefined): string {
  if (!password) return url;
  const parsed = new URL(url);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

// Without a listener ioredis prints every reconnect failure as "Unhandled error event".
function observeErrors(client: RedisClient, options: ConnectionOptions): RedisClient {
  client.on("error", options.onError ?? (() => {}));
  return client;
}

function createCluster(url: string, options: ConnectionOptions): Cluster {
  const [, tls, user, urlPassword, hostList = ""] =
    /^redis(s?)-cluster:\/\/(?:([^:@]*):([^@]*)@)?([^/]*)/.exec(url) ?? [];
  const nodes = hostList.split(",").map((hostPort) => {
    const [host, port] = hostPort.split(":");
    return { host: host || "127.0.0.1", port: Number(port || 6379) };
  });
  const password = options.password ?? (urlPassword ? decodeURIComponent(urlPassword) : undefined);
  const username = user ? decodeURIComponent(user) : undefined;
  return new Cluster(nodes, {
    redisOptions: {
      ...baseOptions({ ...options, password }),
      ...(username ? { username } : {}),
      ...(tls ? { tls: { ...(options.tlsCa ? { ca: options.tlsCa } : {}) } } : {}),
    },
    clusterRetryStrategy: retryStrategy,
    enableOfflineQueue: !options.failFast,
    // Blocking commands must not be redirected mid-wait by ioredis's own retry.
    maxRedirections: 16,
  });
}

/** A second connection to the same server(s), e.g. a blocking one beside a command one. */
export function duplicateRedis(redis: RedisClient, options: ConnectionOptions = {}): RedisClient {
  if (redis instanceof Cluster) {
    return observeErrors(
      redis.duplicate([], { redisOptions: { ...redis.options.redisOptions, ...baseOptions(options) } }),
      options,
    );
  }
  return observeErrors(redis.duplicate(baseOptions(options)), options);
}

/**
 * Eviction silently deletes jobs and leases (bullmq#1046). Returns the policy of
 * every reachable node that is not `noeviction`, so callers can warn loudly.
 */
export async function findEvictionRisk(redis: RedisClient): Promise<string[]> {
  const risky: string[] = [];
  for (const node of masterNodes(redis)) {
    try {
      const reply = (await node.config("GET", "maxmemory-policy")) as string[];
      const policy = reply[1];
      if (policy && policy !== "noeviction")
        risky.push(`${node.options.host}:${node.options.port} ${policy}`);
    } catch {
      // Managed Redis may forbid CONFIG; nothing to check then.
    }
  }
  return risky;
}

export async function warnOnEvictionPolicy(
  redis: RedisClient,
  warn: (message: string) => void,
): Promise<void> {
  const risky = await findEvictionRisk(redis);
  if (risky.length > 0) {
    warn(
      `DANGER: Redis maxmemory-policy is not noeviction (${risky.join(", ")}). ` +
        "Under memory pressure Redis will silently delete jobs and leases. Set maxmemory-policy noeviction.",
    );
  }
}
