/**
 * Every Redis key name R-queue uses from TypeScript is built here, and nowhere else.
 *
 * All keys of one queue share the hash tag `{<queue>}`, so every script touches a
 * single slot and runs unchanged on Redis Cluster. Lua scripts receive the queue's
 * fixed keys and its prefix and derive per-job and per-type keys from the prefix
 * with the same layout as below, in scripts/includes/keys.lua — which also builds
 * the keys only scripts touch (pending shards, dependency links, idempotency keys).
 * The two must stay in step.
 */
import type { JobState } from "./schemas/job-state.js";

export interface QueueKeys {
  /** `rq:{queue}:` — what the Lua scripts derive every other key from. */
  prefix: string;
  /** Hash of one job. */
  job(seq: string): string;
  /** Bounded list of one job's log lines. */
  jobLog(seq: string): string;
  /** Sorted set of the jobs of one type in one state. */
  index(state: JobState, type: string): string;
  /** Hash of one job type's circuit breaker: thresholds, state and sliding window. */
  circuitBreaker(type: string): string;
  /** Set of the job types ever added to the queue (bounded). */
  types: string;
  /** Wake-up marker that idle consumers of every type block on. */
  marker: string;
  /** Wake-up marker of one job type, for consumers of some types only. */
  typeMarker(type: string): string;
  /** Queue settings: paused flag, whether submissions need a registered type. */
  meta: string;
  /** Hash of the job types workers advertise: type -> JSON schema and defaults (see type-registry.ts). */
  typeRegistry: string;
  /** Sorted set of the workers advertising one type: workerId -> when the advertisement lapses (ms). */
  typeWorkers(type: string): string;
  /** Capped stream of state changes. */
  events: string;
  /** Lifetime counters (completed, failed, retried, ...). */
  stats: string;
  /** Counter behind job ids and pending order. */
  sequence: string;
  /** The fixed keys every script declares, in the order scripts/includes/keys.lua reads them. */
  scriptKeys: string[];
  /** Per-second completed/failed counts of one minute (expire after an hour). */
  throughput(minute: number): string;
  /** Wait and run time histograms of one minute (expire after an hour). */
  latency(minute: number): string;
  /** Lifetime wait and run time histograms and sums per job type (never expire; see stats.lua). */
  histograms: string;
  /** Repeatable schedules of the queue (see schedules/queue-schedules.ts). */
  schedules: ScheduleKeys;
  /** Sorted set of the jobs not started yet that carry an expiry: seq -> expiry (ms). */
  expiring: string;
  /** String: the job a debounce key of one type names (seq), for the window as TTL. */
  debounce(type: string, key: string): string;
}

export interface ScheduleKeys {
  /** Sorted set of every schedule id (score 0: listed by id). */
  ids: string;
  /** Sorted set of the active schedules by next due time (ms): firing reads only what is due. */
  due: string;
  /** Hash of the queue's lifetime schedule counters (fired, misfired, overlap). */
  stats: string;
  /** Hash of one schedule: definition and state. */
  of(id: string): string;
  /** Sorted set of one schedule's last runs: job seq -> due time. */
  runs(id: string): string;
}

export function queueKeys(queue: string): QueueKeys {
  const prefix = `rq:{${queue}}:`;
  const fixed = {
    meta: `${prefix}meta`,
    types: `${prefix}types`,
    marker: `${prefix}marker`,
    events: `${prefix}events`,
    stats: `${prefix}stats`,
    sequence: `${prefix}seq`,
  };
  return {
    ...fixed,
    scriptKeys: [fixed.meta, fixed.types, fixed.marker, fixed.events, fixed.stats, fixed.sequence],
    prefix,
    histograms: `${prefix}hist`,
    expiring: `${prefix}expiring`,
    debounce: (type, key) => `${prefix}debounce:${type}:${key}`,
    job: (seq) => `${prefix}j:${seq}`,
    jobLog: (seq) => `${prefix}log:${seq}`,
    typeRegistry: `${prefix}type-registry`,
    typeWorkers: (type) => `${prefix}type-workers:${type}`,
    index: (state, type) => `${prefix}${state}:${type}`,
    circuitBreaker: (type) => `${prefix}cb:${type}`,
    typeMarker: (type) => `${prefix}marker:${type}`,
    throughput: (minute) => `${prefix}tp:${minute}`,
    latency: (minute) => `${prefix}lat:${minute}`,
    schedules: {
      ids: `${prefix}schedule-ids`,
      due: `${prefix}schedule-due`,
      stats: `${prefix}schedule-stats`,
      of: (id) => `${prefix}schedule:${id}`,
      runs: (id) => `${prefix}schedule-runs:${id}`,
    },
  };
}

/**
 * Registry of live workers: global rather than per queue because a worker serves
 * many queues. One hash tag, so the registry's pipelines stay single-slot on Cluster.
 */
export const WORKERS_KEY = "rq:{workers}:all";
export const workerKey = (workerId: string) => `rq:{workers}:w:${workerId}`;
/** Set of the queues that have schedules, which every control plane's firing loop walks. */
export const SCHEDULE_QUEUES_KEY = "rq:{schedules}:queues";
/** Set of known queue names, so the control plane lists queues without scanning keys. */
export const QUEUES_KEY = "rq:queues";
/** Hash: R-queue library name -> when a process last recorded it in use (scripts/library-retention.ts). */
export const LIBRARIES_SEEN_KEY = "rq:{functions}:seen";
/**
 * Submit rate-limit bucket of one API key (by its name), shared by every control
 * plane. Its own hash tag: buckets spread over the Cluster, one slot each.
 */
export const submitRateKey = (keyName: string) => `rq:rate:{key:${keyName}}:submit`;
/** Lease held by the one control-plane replica that publishes CloudWatch metrics. */
export const CLOUDWATCH_LEADER_KEY = "rq:control-plane:cloudwatch-leader";
/** Bulk operations by filter (one hash tag): recent ids by creation time, and one hash per operation. */
export const OPERATIONS_KEY = "rq:{operations}:recent";
export const operationKey = (id: string) => `rq:{operations}:op:${id}`;

/**
 * Keys of one queue's stats history (written by rollup-stats.lua; the same layout
 * as its builders in scripts/includes/keys.lua).
 */
export function statsRollupKeys(queue: string) {
  const prefix = queueKeys(queue).prefix;
  return {
    /** Hash: `m` last sealed minute, `h` last sealed hour. */
    rollup: `${prefix}rollup`,
    /** Hash per minute: highest backlog `b` and processing `p` sampled (expires after 2 h). */
    gaugeSample: (minute: number) => `${prefix}gs:${minute}`,
    /** Hash per hour: minute -> sealed point (expires 25 h after its last minute). */
    minutes: (hour: number) => `${prefix}m1:${hour}`,
    /** Hash per hour: the sealed minutes summed so far, until the hour is sealed. */
    hourAccumulator: (hour: number) => `${prefix}hacc:${hour}`,
    /** Hash per day: hour -> sealed point (expires after 31 days). */
    hours: (day: number) => `${prefix}h1:${day}`,
  };
}
/** The dashboard's benchmark: one run at a time (a lease), and the latest run as JSON. */
export const BENCHMARK_LOCK_KEY = "rq:{benchmark}:lock";
export const BENCHMARK_RUN_KEY = "rq:{benchmark}:run";
