/**
 * The one scaling policy, decided identically by the local supervisor (1–10 worker
 * processes) and by the control plane for ECS (it publishes the decision; the ECS
 * policy applies it). It is time-based, after AWS's guidance for queue workers
 * (acceptable backlog per instance = acceptable latency ÷ processing time), with the
 * processing time measured instead of configured:
 *
 *   drain workers = Σ_queues (backlog + processing) × seconds per job ÷ slots ÷ target seconds
 *   desired       = ⌈drain workers⌉, bounded min–max
 *
 * so a burst that one worker clears within the target starts nobody, and a backlog
 * of slow jobs gets as many workers as it takes to clear it in time. Scale-in goes
 * straight to the smallest pool that would still drain the work within the target
 * and keep every running job's slot, while using at most `scaleInUtilization` of its
 * capacity: that headroom is the hysteresis that keeps one job more or less from
 * flapping the pool.
 *
 * A queue with work but no run-time measurement yet (a fresh stack's first burst)
 * grows the pool by one worker per scale-out at most: the fallback run time is a
 * guess, and on a small machine starting ten processes for a burst that one warm
 * worker clears in a second costs the cores the jobs needed. The first jobs to
 * finish give the measurement, and the pool then goes straight to its size.
 */
export interface ScalingPolicy {
  min: number;
  max: number;
  /** The work on hand should be finished within this many seconds (the acceptable latency). */
  targetDrainSeconds: number;
  /** Seconds per job assumed for a queue that has no run-time measurements yet. */
  fallbackJobSeconds: number;
  /**
   * A worker's own cost per job (take + settle round trips), on top of the handler's
   * run time: what bounds the rate of instant jobs. Bench: ~25k no-op jobs/s per
   * warm process on 2 cores, so 0.1 ms leaves room for a busy machine.
   */
  perJobOverheadSeconds: number;
  /** Scale in only to a pool this busy at most (0–1]; the gap to 1 is the hysteresis. */
  scaleInUtilization: number;
  /** No scale-out within this long after the previous scale-out. */
  scaleOutCooldownMs: number;
  /** No scale-in within this long after any scaling action. */
  scaleInCooldownMs: number;
}

export const DEFAULT_SCALING_POLICY: ScalingPolicy = {
  min: 1,
  max: 10,
  targetDrainSeconds: 30,
  fallbackJobSeconds: 1,
  perJobOverheadSeconds: 0.0001,
  scaleInUtilization: 0.75,
  scaleOutCooldownMs: 5_000,
  scaleInCooldownMs: 30_000,
};

/** What the policy needs to know about one queue the workers serve. */
export interface QueueLoad {
  /** Pending plus due scheduled jobs: what could start right now. */
  backlog: number;
  /** Jobs running now: they occupy slots and still have to finish. */
  processing: number;
  /** Mean run time of this queue's recent jobs, in seconds; null when none finished lately. */
  jobSeconds: number | null;
}

export interface WorkerDemand {
  /** Workers that would finish all work on hand within the target (fractional). */
  drainWorkers: number;
  /** Workers whose slots the running jobs occupy now (fractional). */
  busyWorkers: number;
  /** ⌈drainWorkers⌉ bounded min–max: the pool size before cooldowns and hysteresis. */
  ideal: number;
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

/** Jobs per second one worker with `slots` concurrent jobs completes on a queue. */
export function jobsPerSecondPerWorker(
  policy: ScalingPolicy,
  slots: number,
  jobSeconds: number | null,
): number {
  const seconds = jobSeconds ?? policy.fallbackJobSeconds;
  // Slots overlap the handlers' run time; the worker's own per-job cost is serial.
  return 1 / (seconds / Math.max(slots, 1) + policy.perJobOverheadSeconds);
}

export function workerDemand(
  policy: ScalingPolicy,
  queues: readonly QueueLoad[],
  slots: number,
): WorkerDemand {
  let drainWorkers = 0;
  let processing = 0;
  for (const queue of queues) {
    const rate = jobsPerSecondPerWorker(policy, slots, queue.jobSeconds);
    drainWorkers += (queue.backlog + queue.processing) / (rate * policy.targetDrainSeconds);
    processing += queue.processing;
  }
  const busyWorkers = processing / Math.max(slots, 1);
  // A hair below each integer so float noise (3.0000000004) does not ask for a worker more.
  const ideal = clamp(Math.ceil(drainWorkers - 1e-9), policy.min, policy.max);
  return { drainWorkers, busyWorkers, ideal };
}

export interface ScalingInput {
  queues: readonly QueueLoad[];
  /** Concurrent jobs per worker (RQ_CONCURRENCY). */
  slots: number;
  /** Workers running or asked for (the pool the last decision set). */
  current: number;
  now: number;
  lastScaleOutAt: number | null;
  lastScaleInAt: number | null;
}

export interface ScalingDecision {
  desired: number;
  reason: string;
  demand: WorkerDemand;
}

export function decideScaling(policy: ScalingPolicy, input: ScalingInput): ScalingDecision {
  const demand = workerDemand(policy, input.queues, input.slots);
  const current = clamp(input.current, policy.min, policy.max);
  const decision = (desired: number, reason: string) => ({ desired, reason, demand });
  if (demand.ideal > current) {
    if (input.lastScaleOutAt !== null && input.now - input.lastScaleOutAt < policy.scaleOutCooldownMs) {
      return decision(current, "scale-out cooldown");
    }
    const unmeasured = input.queues.some(
      (queue) => queue.jobSeconds === null && queue.backlog + queue.processing > 0,
    );
    if (unmeasured) return decision(current + 1, "no run time measured yet: one worker more at a time");
    return decision(demand.ideal, `${demand.drainWorkers.toFixed(2)} workers drain the work in time`);
  }
  const needed = Math.max(demand.drainWorkers, demand.busyWorkers) / policy.scaleInUtilization;
  const smallest = clamp(Math.ceil(needed - 1e-9), policy.min, policy.max);
  if (smallest < current) {
    const lastAction = Math.max(input.lastScaleOutAt ?? -Infinity, input.lastScaleInAt ?? -Infinity);
    if (input.now - lastAction < policy.scaleInCooldownMs) return decision(current, "scale-in cooldown");
    return decision(smallest, `${smallest} workers still drain the work in time`);
  }
  return decision(current, "steady");
}

/** Checks a policy's values; returns one message per problem (empty when valid). */
export function checkScalingPolicy(policy: ScalingPolicy): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(policy.min) || policy.min < 1) problems.push("min: must be a whole number ≥ 1");
  if (!Number.isInteger(policy.max) || policy.max < policy.min) problems.push("max: must be ≥ min");
  if (!(policy.targetDrainSeconds > 0)) problems.push("targetDrainSeconds: must be > 0");
  if (!(policy.fallbackJobSeconds > 0)) problems.push("fallbackJobSeconds: must be > 0");
  if (!(policy.perJobOverheadSeconds > 0)) problems.push("perJobOverheadSeconds: must be > 0");
  if (!(policy.scaleInUtilization > 0 && policy.scaleInUtilization <= 1)) {
    problems.push("scaleInUtilization: must be in (0, 1]");
  }
  return problems;
}
