/**
 * `Consumer`: the storage side of taking and finishing jobs in one queue, on
 * which the worker runtime builds. Every call is one round trip:
 *   - settle(): report outcomes and take the next jobs together (the hot path)
 *   - waitForWork(): block on the queue's wake-up marker, on its own connection
 *   - extendLeases(): one heartbeat for every lease held
 *   - progress(), release()
 * Calls about a job present its fencing token; a stale token changes nothing.
 */

import { randomUUID } from "node:crypto";
import * as v from "valibot";
import { isScriptFault, ValidationError } from "../errors.js";
import { formatJobId } from "../job-id.js";
import { type MaintenanceResult, maintainQueue } from "../queue/maintain-queue.js";
import { createQueueContext, type QueueContext } from "../queue/queue-context.js";
import { readParentResults } from "../queue/read-job.js";
import { duplicateRedis, type RedisClient } from "../redis/connection.js";
import { JobTypeSchema } from "../schemas/job-input.js";
import type { JsonValue } from "../schemas/json-value.js";
import { findNonJson, utf8Length } from "../schemas/json-value.js";
import { LIMITS } from "../schemas/limits.js";
import { type QueueSettingsInput, resolveSettings } from "../settings.js";
import { pushOutcome } from "./encode-outcome.js";
import {
  type Lease,
  type LeasedJob,
  type LeaseStatus,
  type Outcome,
  UnrecoverableError,
} from "./leased-job.js";

export interface ConsumerOptions {
  redis: RedisClient;
  /** Connection for blocking waits; duplicated from `redis` when absent. */
  blockingRedis?: RedisClient;
  queue: string;
  workerId: string;
  /** Visibility timeout: a job whose lease is not renewed within it goes back. */
  leaseMs?: number;
  /** Only take jobs of these types (e.g. the ones this worker has handlers for). */
  types?: readonly string[];
  settings?: QueueSettingsInput;
  /**
   * Wait, after each call that reports outcomes, until this many replicas have the
   * writes (Redis WAIT). A master that loses its role (failover, or frozen and demoted)
   * discards writes its replicas never got: outcomes not acknowledged in time are sent
   * again with the next calls, for one lease duration, so they land on whichever node
   * holds the job by then; sent twice they change nothing.
   */
  replicaAck?: { replicas: number; timeoutMs: number };
  /** Called with the number of outcomes a call could not get onto enough replicas. */
  onUnreplicated?(outcomes: number): void;
}

export interface SettleResult {
  /** Per outcome, in order: null when recorded, else the lease problem. */
  rejected: (LeaseStatus | null)[];
  taken: LeasedJob[];
  /**
   * When fewer jobs than asked could be taken: how long until the earliest
   * scheduled run time, or until an open circuit breaker that held jobs back lets
   * probes through, in ms by Redis's clock (relative, so host clock skew cannot
   * distort it).
   */
  nextDueInMs: number | null;
}

/** How long past its own timeout a blocking wait may take before its connection counts as hung. */
const WAIT_GRACE_MS = 5_000;

/**
 * Leased jobs as settle-and-take returns them: one flat array, LEASE_FIELDS values per
 * job (seq, token, attempt, type, payload, maxAttempts, timeoutMs|null, createdAt,
 * parents|null; see includes/take.lua).
 */
type RawLeases = (string | number | null)[];
const LEASE_FIELDS = 9;

export class Consumer {
  readonly queue: string;
  readonly workerId: string;
  readonly leaseMs: number;
  private readonly context: QueueContext;
  private blocking: RedisClient | undefined;
  private readonly ownsBlocking: boolean;
  private readonly types: string;
  private readonly typeList: readonly string[];
  /** Names this instance's remembered takes in Redis (see includes/replay.lua). */
  private readonly instance = randomUUID();
  private calls = 0;
  /** Calls whose reply never came: Redis may have leased jobs for them. */
  private unanswered: number[] = [];
  /** Jobs leased with a payload that does not parse: dead-lettered by the next call. */
  private readonly unreadable: Outcome[] = [];
  /** Outcomes no replica acknowledged yet (replicaAck), sent again until `until`. */
  private unreplicated: { outcome: Outcome; until: number }[] = [];

  constructor(private readonly options: ConsumerOptions) {
    this.queue = options.queue;
    this.workerId = options.workerId;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.context = createQueueContext(options.redis, options.queue, resolveSettings(options.settings));
    this.blocking = options.blockingRedis;
    this.ownsBlocking = !options.blockingRedis;
    this.typeList = consumerTypes(options.types);
    this.types = this.typeList.join(",");
  }

  get settings() {
    return this.context.settings;
  }

  /**
   * Records outcomes and leases up to `take` jobs in one round trip. `typeLimits`
   * caps how many jobs of a type this take may lease (0: none); it applies to the
   * `types` this consumer was created with.
   */
  async settle(
    outcomes: readonly Outcome[],
    take: number,
    typeLimits?: Readonly<Record<string, number>>,
  ): Promise<SettleResult> {
    const types =
      typeLimits && this.typeList.length > 0
        ? this.typeList
            .map((type) => {
              const limit = typeLimits[type];
              return limit === undefined ? type : `${type}=${Math.max(0, Math.floor(limit))}`;
            })
            .join(",")
        : this.types;
    const callId = ++this.calls;
    const replay = this.unanswered.splice(0);
    // Failures of jobs that could not be read at their last take go with this call,
    // and outcomes sent before that no replica acknowledged (see replicaAck).
    const unreadable = this.unreadable.splice(0);
    const now = Date.now();
    const resent = this.unreplicated.filter((entry) => entry.until > now);
    this.unreplicated = [];
    const extra = [...unreadable, ...resent.map((entry) => entry.outcome)];
    const sent = extra.length > 0 ? [...extra, ...outcomes] : outcomes;
    const args: (string | number)[] = [
      this.workerId,
      this.leaseMs,
      take,
      types,
      sent.length,
      this.instance,
      callId,
      replay.join(","),
    ];
    for (const outcome of sent) pushOutcome(args, outcome, this.workerId);
    const ack = this.options.replicaAck;
    let reply: [(number | string)[], RawLeases, number | null];
    let acknowledged = Number.POSITIVE_INFINITY;
    try {
      if (ack && ack.replicas > 0 && sent.length > 0) {
        const [raw, replicas] = await this.context.runAcked(
          "settle-and-take",
          args,
          ack.replicas,
          ack.timeoutMs,
        );
        reply = raw as typeof reply;
        acknowledged = replicas;
      } else {
        reply = (await this.context.run("settle-and-take", args)) as typeof reply;
      }
    } catch (error) {
      // Redis may have run it and only the reply was lost: the next call asks for
      // the jobs it leased (refused calls wrote nothing, so there is nothing to ask).
      if (!isScriptFault(error)) {
        this.unanswered = [...replay, callId].slice(-2);
        this.unreadable.unshift(...unreadable);
      }
      this.unreplicated.unshift(...resent);
      throw error;
    }
    if (ack && acknowledged < ack.replicas) {
      const until = now + this.leaseMs;
      this.unreplicated = [...resent, ...[...unreadable, ...outcomes].map((outcome) => ({ outcome, until }))];
      this.options.onUnreplicated?.(sent.length);
    }
    const [codes, taken, due] = reply;
    const leased: LeasedJob[] = [];
    for (let at = 0; at < taken.length; at += LEASE_FIELDS) {
      const job = this.toLeasedJob(taken, at);
      if (job) leased.push(job);
    }
    return {
      rejected: rejectedStatuses(codes, extra.length),
      taken: leased,
      nextDueInMs: due ?? null,
    };
  }

  /** Leases up to `max` jobs without reporting anything. */
  async take(max: number): Promise<LeasedJob[]> {
    return (await this.settle([], max)).taken;
  }

  /**
   * Blocks until a producer signals work (or a scheduled job may be due), at most
   * `timeoutMs`. Resolves true when woken by a signal. Runs on its own connection
   * so settles and heartbeats go on meanwhile.
   */
  async waitForWork(timeoutMs: number): Promise<boolean> {
    this.blocking ??= duplicateRedis(this.options.redis, {
      blocking: true,
      connectionName: `rq-block-${this.workerId}`,
    });
    // A consumer of some types waits on their markers only: a wake-up for a job it
    // cannot run is left for a consumer that can.
    const { keys } = this.context;
    const markers = this.typeList.length > 0 ? this.typeList.map(keys.typeMarker) : [keys.marker];
    const blocking = this.blocking;
    const waitMs = Math.max(timeoutMs, 1);
    // The blocking connection has no command timeout (the wait is the point), so a node
    // that hangs would hold it forever: past the wait and a grace, drop the connection.
    let timer: NodeJS.Timeout | undefined;
    const wedged = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        if (this.ownsBlocking && this.blocking === blocking) {
          this.blocking = undefined;
          blocking.disconnect();
        }
        reject(
          new Error(`blocking wait on queue ${this.queue} got no answer within ${waitMs + WAIT_GRACE_MS} ms`),
        );
      }, waitMs + WAIT_GRACE_MS);
    });
    try {
      const reply = await Promise.race([blocking.bzpopmin(...markers, waitMs / 1000), wedged]);
      return reply !== null;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Renews the given leases; the statuses say which were lost (e.g. canceled). */
  async extendLeases(leases: readonly Lease[]): Promise<LeaseStatus[]> {
    if (leases.length === 0) return [];
    const args: (string | number)[] = [this.leaseMs];
    for (const lease of leases) args.push(lease.seq, lease.token);
    return leaseStatuses((await this.context.run("extend-leases", args)) as (number | string)[]);
  }

  /** Records progress (0–100, optional small JSON detail) of a job this consumer holds. */
  async progress(lease: Lease, percent: number, detail?: unknown): Promise<LeaseStatus> {
    if (!Number.isFinite(percent) || percent < 0 || percent > 100) {
      throw new ValidationError([{ path: "percent", message: "must be a number from 0 to 100" }]);
    }
    let encodedDetail = "";
    if (detail !== undefined) {
      const problem = findNonJson(detail, LIMITS.jsonDepth);
      if (problem) throw new ValidationError([{ path: "detail", message: `must be JSON: ${problem}` }]);
      encodedDetail = JSON.stringify(detail);
      if (utf8Length(encodedDetail) > LIMITS.progressDetailBytes) {
        throw new ValidationError([
          { path: "detail", message: `must be at most ${LIMITS.progressDetailBytes} bytes` },
        ]);
      }
    }
    const reply = (await this.context.run("update-progress", [
      lease.seq,
      lease.token,
      percent,
      encodedDetail,
    ])) as (number | string)[];
    return leaseStatuses(reply)[0] as LeaseStatus;
  }

  /** Hands jobs back to pending without counting the attempt (graceful shutdown). */
  async release(leases: readonly Lease[]): Promise<LeaseStatus[]> {
    if (leases.length === 0) return [];
    const args: string[] = [];
    for (const lease of leases) args.push(lease.seq, lease.token);
    return leaseStatuses((await this.context.run("release-jobs", args)) as (number | string)[]);
  }

  /** Runs the queue's idempotent housekeeping (see `Queue.maintain`). */
  maintain(): Promise<MaintenanceResult> {
    return maintainQueue(this.context);
  }

  /** Closes the blocking connection this consumer opened (the command one is the caller's). */
  async close(): Promise<void> {
    if (this.blocking && this.ownsBlocking) this.blocking.disconnect();
    this.blocking = undefined;
  }

  /** The results of the job's parents, keyed by parent id (size-limited; null past the limit or when gone). */
  parentResults(job: LeasedJob): Promise<Record<string, unknown>> {
    return readParentResults(this.context, job.parentSeqs, LIMITS.resultBytes);
  }

  private toLeasedJob(leases: RawLeases, at: number): LeasedJob | null {
    const seq = String(leases[at]);
    const token = String(leases[at + 1]);
    const payload = String(leases[at + 4]);
    const timeout = leases[at + 6];
    const parents = leases[at + 8];
    let parsed: JsonValue;
    try {
      parsed = JSON.parse(payload);
    } catch {
      // Written past the engine (by hand, or a foreign tool): no handler can run it.
      this.unreadable.push({
        lease: { seq, token },
        kind: "failed",
        unrecoverable: true,
        reason: "invalid-payload",
        error: new UnrecoverableError(
          `job ${formatJobId(this.queue, seq)} has a payload in Redis that is not JSON`,
        ),
      });
      return null;
    }
    return {
      id: formatJobId(this.queue, seq),
      queue: this.queue,
      seq,
      token,
      type: String(leases[at + 3]),
      payload: parsed,
      attempt: Number(leases[at + 2]),
      maxAttempts: Number(leases[at + 5]),
      timeoutMs: timeout ? Number(timeout) : null,
      createdAt: Number(leases[at + 7]),
      parentSeqs: parents ? String(parents).split(",") : [],
    };
  }
}

/** The job types a consumer takes, validated and each named once (a repeat would count twice in Redis). */
function consumerTypes(types: readonly string[] | undefined): readonly string[] {
  if (types === undefined) return [];
  const issues = types.flatMap((type, index) =>
    v.is(JobTypeSchema, type)
      ? []
      : [{ path: `types.${index}`, message: "must match [a-z0-9][a-z0-9._-]{0,63}" }],
  );
  if (issues.length > 0) throw new ValidationError(issues);
  if (types.length === 0)
    throw new ValidationError([{ path: "types", message: "must name at least one type" }]);
  return [...new Set(types)];
}

/** A settle's per-outcome statuses from the `skip`-th on: null when recorded, else the lease problem. */
function rejectedStatuses(flat: (number | string)[], skip: number): (LeaseStatus | null)[] {
  const rejected: (LeaseStatus | null)[] = [];
  for (let i = skip * 2; i < flat.length; i += 2) {
    rejected.push(flat[i] === 1 ? null : { ok: false, state: (flat[i + 1] as string) || null });
  }
  return rejected;
}

function leaseStatuses(flat: (number | string)[]): LeaseStatus[] {
  const statuses: LeaseStatus[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    statuses.push(flat[i] === 1 ? { ok: true } : { ok: false, state: (flat[i + 1] as string) || null });
  }
  return statuses;
}
