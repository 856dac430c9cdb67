/**
 * The one scaling policy, used by the local supervisor (1–10 worker processes)
 * and mirrored by the cloud's target tracking on BacklogPerWorker: size the pool
 * so each worker has about `targetBacklogPerWorker` jobs waiting; scale out at once,
 * scale in one step at a time and only after a quiet cooldown.
 */
export interface ScalingPolicy {
  min: number;
  max: number;
  /** Jobs that may wait per worker before another worker is worth starting. */
  targetBacklogPerWorker: number;
  /** No scale-in within this long after any scaling action. */
  scaleInCooldownMs: number;
  /** No scale-out within this long after the previous scale-out. */
  scaleOutCooldownMs: number;
}

export const DEFAULT_SCALING_POLICY: ScalingPolicy = {
  min: 1,
  max: 10,
  targetBacklogPerWorker: 100,
  scaleInCooldownMs: 60_000,
  scaleOutCooldownMs: 5_000,
};

export interface ScalingInput {
  /** Pending plus due scheduled jobs: what could start right now. */
  backlog: number;
  /** Jobs running now: they need their workers too. */
  processing: number;
  current: number;
  now: number;
  lastScaleOutAt: number | null;
  lastScaleInAt: number | null;
}

export interface ScalingDecision {
  desired: number;
  reason: string;
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

/** The number of workers wanted with no cooldowns applied: the signal dashboards show. */
export function idealWorkers(policy: ScalingPolicy, backlog: number, processing: number): number {
  const wanted = Math.ceil((backlog + processing) / policy.targetBacklogPerWorker);
  return clamp(wanted, policy.min, policy.max);
}

export function decideScaling(policy: ScalingPolicy, input: ScalingInput): ScalingDecision {
  const ideal = idealWorkers(policy, input.backlog, input.processing);
  const current = clamp(input.current, policy.min, policy.max);
  if (ideal > current) {
    if (input.lastScaleOutAt !== null && input.now - input.lastScaleOutAt < policy.scaleOutCooldownMs) {
      return { desired: current, reason: "scale-out cooldown" };
    }
    return { desired: ideal, reason: `backlog ${input.backlog} needs ${ideal} workers` };
  }
  if (ideal < current) {
    const lastAction = Math.max(input.lastScaleOutAt ?? 0, input.lastScaleInAt ?? 0);
    if (input.now - lastAction < policy.scaleInCooldownMs)
      return { desired: current, reason: "scale-in cooldown" };
    return { desired: current - 1, reason: `backlog ${input.backlog} needs only ${ideal} workers` };
  }
  return { desired: current, reason: "steady" };
}

/** The cloud metric: backlog per healthy worker (never divides by zero). */
export function backlogPerWorker(backlog: number, healthyWorkers: number): number {
  return backlog / Math.max(healthyWorkers, 1);
}
