/**
 * What the control plane must know about the worker service to decide its size
 * with the shared scaling policy, read from the same variables the workers read:
 * RQ_QUEUES (names only: weights never become metric dimensions), the workers'
 * concurrency, and the RQ_AUTOSCALE_* bounds and target. The ECS service name is
 * the dimension the scaling alarm reads.
 */
import { checkScalingPolicy, DEFAULT_SCALING_POLICY, parseQueueList } from "@rqueue/shared";
import * as v from "valibot";
import type { WorkerFleet } from "../cloud/scaling-signal.js";
import { int } from "./env-number.js";

/** The worker's own default concurrency (worker-image/src/config.ts). */
const WORKER_DEFAULT_CONCURRENCY = 50;

export const FleetEnvSchema = v.object({
  RQ_QUEUES: v.optional(v.string(), "default"),
  RQ_WORKER_CONCURRENCY: int(WORKER_DEFAULT_CONCURRENCY, 1, 1_000),
  RQ_AUTOSCALE_MIN: int(DEFAULT_SCALING_POLICY.min, 1, 10),
  RQ_AUTOSCALE_MAX: int(DEFAULT_SCALING_POLICY.max, 1, 10),
  RQ_AUTOSCALE_TARGET_DRAIN_SECONDS: int(DEFAULT_SCALING_POLICY.targetDrainSeconds, 1, 86_400),
  RQ_AUTOSCALE_FALLBACK_JOB_MS: int(DEFAULT_SCALING_POLICY.fallbackJobSeconds * 1000, 1, 3_600_000),
  RQ_ECS_SERVICE: v.optional(v.pipe(v.string(), v.trim())),
});

export function loadWorkerFleet(
  env: Record<string, string | undefined>,
): { fleet: WorkerFleet; problems: string[] } | { fleet: null; problems: string[] } {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ""),
  );
  const parsed = v.safeParse(FleetEnvSchema, present);
  if (!parsed.success) {
    return {
      fleet: null,
      problems: parsed.issues.map((issue) => `${v.getDotPath(issue) ?? "environment"}: ${issue.message}`),
    };
  }
  const e = parsed.output;
  const queues = parseQueueList(e.RQ_QUEUES);
  const policy = {
    ...DEFAULT_SCALING_POLICY,
    min: e.RQ_AUTOSCALE_MIN,
    max: e.RQ_AUTOSCALE_MAX,
    targetDrainSeconds: e.RQ_AUTOSCALE_TARGET_DRAIN_SECONDS,
    fallbackJobSeconds: e.RQ_AUTOSCALE_FALLBACK_JOB_MS / 1000,
  };
  const problems = [
    ...(queues.ok ? [] : [`RQ_QUEUES: ${queues.error}`]),
    ...checkScalingPolicy(policy).map((problem) => `RQ_AUTOSCALE: ${problem}`),
  ];
  if (!queues.ok || problems.length > 0) return { fleet: null, problems };
  return {
    fleet: {
      service: e.RQ_ECS_SERVICE || "workers",
      queues: queues.queues.map((queue) => queue.name),
      slots: e.RQ_WORKER_CONCURRENCY,
      policy,
    },
    problems: [],
  };
}
