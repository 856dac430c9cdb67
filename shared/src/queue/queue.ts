/**
 * `Queue`: the producer and administration side of one queue. Adds jobs, reads
 * them, lists and counts them, cancels, retries and removes them, manages the
 * dead-letter queue, pauses and resumes, and runs the idempotent housekeeping
 * that any process may run.
 */
import { JobNotFoundError, ValidationError } from "../errors.js";
import type { Job } from "../job.js";
import { parseJobId } from "../job-id.js";
import { QUEUES_KEY } from "../keys.js";
import type { RedisClient } from "../redis/connection.js";
import type { FlowRule, FlowScope, FlowState } from "../schemas/flow-limits.js";
import { DEFAULT_QUEUE, type JobInput, QUEUE_NAME_PATTERN } from "../schemas/job-input.js";
import type { JobState } from "../schemas/job-state.js";
import { type QueueSettingsInput, resolveSettings } from "../settings.js";
import { type AddedJob, addJobs, type SubmittedJob, submitJobs } from "./add-jobs.js";
import { readFlowState, setFlowLimit, setGroupWeight } from "./flow-limits.js";
import { cancelJob, removeJob, retryJob, runDeadLetterChunks } from "./job-actions.js";
import { countJobs, type JobCounts, type JobPage, type ListJobsOptions, listJobs } from "./list-jobs.js";
import { type MaintenanceResult, maintainQueue } from "./maintain-queue.js";
import { createQueueContext, type QueueContext, type ReplicaAck } from "./queue-context.js";
import { type QueueGauges, readGauges } from "./read-gauges.js";
import { type JobGraph, readJob, readJobGraph } from "./read-job.js";
import { type QueueStats, readStats } from "./read-stats.js";

export interface QueueOptions {
  /** A command connection (see `createRedis`). */
  redis: RedisClient;
  /** Defaults to `default`. */
  name?: string;
  settings?: QueueSettingsInput;
  /**
   * Replicas a write of jobs must reach (Redis WAIT) before it is reported done; when
   * fewer confirm within the timeout, adding throws NotReplicatedError (the jobs may
   * not survive a failover: submit again with the same idempotency key). Set it to
   * the cluster's min-replicas-to-write. Absent or 0: no wait.
   */
  replicaAck?: ReplicaAck;
}

export class Queue {
  readonly name: string;
  /** @internal Shared with the consumer of the same queue. */
  readonly context: QueueContext;
  /** Shared with the deadline-bound views of this queue, so the name is recorded once. */
  private readonly registration = { done: false };

  constructor(options: QueueOptions) {
    const name = options.name ?? DEFAULT_QUEUE;
    if (!QUEUE_NAME_PATTERN.test(name)) {
      throw new ValidationError([
        { path: "queue", message: "must be 1-64 characters of letters, digits, '_', '.', '-'" },
      ]);
    }
    this.name = name;
    this.context = createQueueContext(
      options.redis,
      name,
      resolveSettings(options.settings),
      options.replicaAck,
    );
  }

  /**
   * This queue with every script it runs refused by Redis once `localDeadlineMs`
   * (this host's clock) has passed: for work that someone gives up on at a
   * deadline, such as an API request answered 503 (see redis/request-deadline.ts).
   * A light view for one request: same connection, settings and registration.
   */
  withDeadline(localDeadlineMs: number): Queue {
    const view = Object.create(this) as Queue;
    Object.defineProperty(view, "context", { value: this.context.withDeadline(localDeadlineMs) });
    return view;
  }

  /**
   * Sets (or with null removes) a rate limit and/or global concurrency for the whole
   * queue, one job type, or each group of one job type. Limited jobs stay pending and
   * spend no attempt.
   */
  setFlowLimit(scope: FlowScope, rule: FlowRule | null): Promise<void> {
    return setFlowLimit(this.context, scope, rule);
  }

  /** A group's weight for fair turns within its job type (null: back to 1). */
  setGroupWeight(type: string, group: string, weight: number | null): Promise<void> {
    return setGroupWeight(this.context, type, group, weight);
  }

  /** The queue's flow rules and what they allow now, per type. */
  flowState(): Promise<FlowState> {
    return readFlowState(this.context);
  }

  /** Adds one job. With an idempotency key seen within the window, returns the existing job's id. */
  async add(input: JobInput): Promise<AddedJob> {
    const [added] = await this.addBulk([input]);
    return added as AddedJob;
  }

  /** Adds up to 1,000 jobs atomically in one round trip: all are written or none. */
  async addBulk(inputs: readonly JobInput[]): Promise<AddedJob[]> {
    const added = await addJobs(this.context, inputs);
    await this.register();
    return added;
  }

  /** Adds one job and returns it as stored, in one round trip (what an API answers with). */
  async submit(input: JobInput): Promise<SubmittedJob> {
    const [submitted] = await this.submitBulk([input]);
    return submitted as SubmittedJob;
  }

  /** Adds up to 1,000 jobs atomically and returns them as stored, in one round trip. */
  async submitBulk(inputs: readonly JobInput[]): Promise<SubmittedJob[]> {
    const submitted = await submitJobs(this.context, inputs);
    await this.register();
    return submitted;
  }

  /** The job, or null when no such job exists (or it was trimmed by retention). */
  async getJob(id: string): Promise<Job | null> {
    return readJob(this.context, this.seqOf(id));
  }

  /** Which of these job ids of this queue do not exist (one round trip). */
  async missingJobs(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const pipeline = this.context.redis.pipeline();
    for (const id of ids) pipeline.exists(this.context.keys.job(this.seqOf(id)));
    const replies = (await pipeline.exec()) ?? [];
    return ids.filter((_, index) => {
      const [error, exists] = replies[index] ?? [null, 0];
      if (error) throw error;
      return exists === 0;
    });
  }

  /** The job with its parents and children and their states (for a graph view); null if unknown. */
  async getJobGraph(id: string): Promise<JobGraph | null> {
    return readJobGraph(this.context, this.seqOf(id));
  }

  async getJobOrThrow(id: string): Promise<Job> {
    const job = await this.getJob(id);
    if (!job) throw new JobNotFoundError(id);
    return job;
  }

  /**
   * Cancels a job that is not final yet; returns the state it was in. A processing
   * job's worker is told at its next lease renewal and its late result is discarded.
   */
  async cancel(id: string): Promise<JobState> {
    return cancelJob(this.context, this.seqOf(id));
  }

  /**
   * Sends a failed or canceled job back with its attempts reset: to pending, or to
   * blocked while parents are unfinished. With `cascade`, dependents that failed
   * because of it are re-armed too, down the graph. Returns its new state.
   */
  async retry(id: string, options: { cascade?: boolean } = {}): Promise<JobState> {
    return retryJob(this.context, this.seqOf(id), options.cascade ?? false);
  }

  /** Deletes a completed, failed or canceled job. */
  async remove(id: string): Promise<void> {
    await removeJob(this.context, this.seqOf(id));
  }

  /** One page of jobs in a state, newest first (pending: order of entry), with a stable cursor. */
  list(options: ListJobsOptions): Promise<JobPage> {
    return listJobs(this.context, options);
  }

  counts(): Promise<JobCounts> {
    return countJobs(this.context);
  }

  /** Counts, backlog (pending + due scheduled), oldest pending age and paused flag, in one call. */
  gauges(): Promise<QueueGauges> {
    return readGauges(this.context);
  }

  /** Retries every dead-lettered job (of one type, if given); returns how many. */
  retryDeadLetter(filter: { type?: string } = {}): Promise<number> {
    return runDeadLetterChunks(this.context, "retry-dead-letter", filter.type);
  }

  /** Deletes every dead-lettered job (of one type, if given); returns how many. */
  purgeDeadLetter(filter: { type?: string } = {}): Promise<number> {
    return runDeadLetterChunks(this.context, "purge-dead-letter", filter.type);
  }

  /** Stops consumers from taking jobs; running jobs finish normally. */
  async pause(): Promise<void> {
    await this.context.redis.hset(this.context.keys.meta, "paused", "1");
  }

  async resume(): Promise<void> {
    const { redis, keys } = this.context;
    await redis.hdel(keys.meta, "paused");
    // Consumers may be blocked on a marker: wake those of every type and of each type.
    const types = await redis.smembers(keys.types);
    await Promise.all(
      [keys.marker, ...types.map(keys.typeMarker)].map((marker) => redis.zadd(marker, 0, "0")),
    );
  }

  async isPaused(): Promise<boolean> {
    return (await this.context.redis.hexists(this.context.keys.meta, "paused")) === 1;
  }

  /** Statistics over the `windowMinutes` minutes that end at `nowMs` (default: now). */
  stats(windowMinutes?: number, nowMs?: number): Promise<QueueStats> {
    return readStats(this.context, windowMinutes, nowMs);
  }

  /**
   * Housekeeping: recovers expired leases, promotes due scheduled jobs, trims final
   * jobs past their retention age. Idempotent and safe to run from any number of
   * processes at once; repeats bounded chunks until done.
   */
  maintain(chunk?: number): Promise<MaintenanceResult> {
    return maintainQueue(this.context, chunk);
  }

  private seqOf(id: string): string {
    const { queue, seq } = parseJobId(id);
    if (queue !== this.name) throw new JobNotFoundError(id);
    return seq;
  }

  /**
   * Records the queue's name once, so the control plane lists queues without a key
   * scan. Only after a write succeeded: an add that was refused or failed (a 503)
   * registers nothing. It cannot be part of the add script, since the set has no
   * hash tag and lives in another Cluster slot than the queue. Should it fail, the
   * jobs are still written and the add succeeds; the next add registers the queue.
   */
  private async register(): Promise<void> {
    if (this.registration.done) return;
    try {
      await this.context.redis.sadd(QUEUES_KEY, this.name);
      this.registration.done = true;
    } catch {
      // Failing the add here would make a client retry jobs that were written.
    }
  }
}
