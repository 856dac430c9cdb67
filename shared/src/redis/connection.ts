/**
 * Opens Redis connections from one URL, standalone or Cluster, with the reconnect
 * behaviour a queue needs: command connections retry forever with a capped
 * backoff, so a Redis restart heals without restarting the process; blocking
 * connections are separate and never time out a command on their own.
 *
 * URLs: `redis://[:password@]host:port[/db]`, `rediss://…` (TLS), or
 * `redis-cluster://[:password@]host:port,host:port,…` for Redis Cluster.
 */
import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { RedisClient } from "../scripts/load-scripts.js";

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
  return url.startsWith("redis-cluster://");
}

export function createRedis(url: string, options: ConnectionOptions = {}): RedisClient {
  const client = isClusterUrl(url)
    ? createCluster(url, options)
    : new Redis(withPassword(url, options.password), baseOptions(options));
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
  const [, user, urlPassword, hostList = ""] =
    /^redis-cluster:\/\/(?:([^:@]*):([^@]*)@)?([^/]*)/.exec(url) ?? [];
  const nodes = hostList.split(",").map((hostPort) => {
    const [host, port] = hostPort.split(":");
    return { host: host || "127.0.0.1", port: Number(port || 6379) };
  });
  const password = options.password ?? (urlPassword ? decodeURIComponent(urlPassword) : undefined);
  const username = user ? decodeURIComponent(user) : undefined;
  return new Cluster(nodes, {
    redisOptions: { ...baseOptions({ ...options, password }), ...(username ? { username } : {}) },
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
  const nodes = redis instanceof Cluster ? redis.nodes("master") : [redis];
  const risky: string[] = [];
  for (const node of nodes) {
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
