/**
 * The one classifier of Redis errors that mean "Redis is not answering right now"
 * (retry shortly: the API answers 503, breakers count a failure, workers back off)
 * as opposed to bugs and domain errors. Used by the control plane and the workers.
 *
 * ioredis wraps Cluster errors: after 16 redirections it rejects with
 * `Too many Cluster redirections. Last error: ReplyError: MOVED 866 127.0.0.1:7001`
 * (or `… CLUSTERDOWN …`, `… TRYAGAIN …`, `… Error: Connection is closed.`), so the
 * reply code is looked for after that prefix too, not only at the message start.
 */
export class RedisUnavailableError extends Error {
  override name = "RedisUnavailableError";
  constructor(
    message: string,
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
  }
}

const UNAVAILABLE_NAMES = new Set(["MaxRetriesPerRequestError", "ClusterAllFailedError"]);

/** Socket and client-side conditions, anywhere in the message. */
const CONNECTION_TROUBLE =
  /Connection is closed|Stream isn't writeable|Cluster isn't ready|Cluster is ended|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|Command timed out|Socket timeout|Ready check failed|Failed to refresh slots cache|None of startup nodes is available|Too many Cluster redirections/;

/**
 * Reply codes of a server that cannot serve the slot now: during a failover
 * (CLUSTERDOWN, TRYAGAIN, MOVED storms, a demoted master's READONLY, UNBLOCKED
 * waits), while loading or running a slow script, or short of replicas. A bare MOVED
 * or ASK reached callers from a pipeline (a script and its WAIT) during a failover,
 * unredirected by ioredis; the command did not run there, so a retry is safe.
 */
const TRANSIENT_REPLY =
  /^(CLUSTERDOWN|LOADING|TRYAGAIN|MASTERDOWN|BUSY|READONLY|NOREPLICAS|UNBLOCKED|MOVED|ASK)\b/;

/** The reply text inside an ioredis wrapper: `…Last error: ReplyError: CLUSTERDOWN …` → `CLUSTERDOWN …`. */
function innerReply(message: string): string {
  const last = message.lastIndexOf("Last error: ");
  const inner = last === -1 ? message : message.slice(last + "Last error: ".length);
  return inner.replace(/^(?:[A-Za-z]*Error: )+/, "");
}

export function isRedisUnavailable(error: unknown): boolean {
  if (error instanceof RedisUnavailableError) return true;
  if (!(error instanceof Error)) return false;
  if (UNAVAILABLE_NAMES.has(error.name)) return true;
  // A script refused because the request's deadline passed before Redis ran it.
  if (error.message.includes("rq-deadline-passed")) return true;
  // A script that met a key of its slot which a Cluster migration has not brought here
  // (add-jobs meets it before its first write); after the migration it runs in full.
  if (error.message.includes("Script attempted to access a non local key in a cluster node")) return true;
  return (
    CONNECTION_TROUBLE.test(error.message) ||
    TRANSIENT_REPLY.test(error.message) ||
    TRANSIENT_REPLY.test(innerReply(error.message))
  );
}
