/**
 * The cloud side of the one scaling policy: every publishing tick it decides the
 * worker service's size with `decideScaling` from the configured queues' load and
 * the service's task count, exactly as the local supervisor decides its process
 * count, and hands back the decision with the raw figures it was made from.
 *
 * Like the supervisor, it remembers the pool it last asked for (ECS applies the
 * decision a minute or so later), so a cooldown holds that pool instead of undoing
 * it; a memory older than a few ticks (leadership moved) gives way to ECS's count.
 */

import type { MetricDatum } from "@aws-sdk/client-cloudwatch";
import {
  decideScaling,
  METRIC_SERVICE_DIMENSION,
  type QueueLoad,
  SCALING_METRIC_NAMES,
  type ScalingPolicy,
} from "@rqueue/shared";
import type { EcsReader } from "./ecs-reader.js";

export interface WorkerFleet {
  /** The worker service's name: the dimension the ECS scaling alarm reads. */
  service: string;
  /** Queues the workers serve (RQ_QUEUES, names only). */
  queues: readonly string[];
  /** Concurrent jobs per worker (the workers' RQ_CONCURRENCY). */
  slots: number;
  policy: ScalingPolicy;
}

export interface ScalingSample {
  service: string;
  desired: number;
  /** The pool the decision started from: ECS's desired task count, or the healthy workers. */
  workerTasks: number;
  /** ECS's running tasks; null without ECS. */
  runningTasks: number | null;
  reason: string;
}

/** Ticks after which a remembered decision no longer speaks for the pool. */
const MEMORY_TICKS = 3;

export class ScalingSignal {
  private asked: { desired: number; at: number } | null = null;
  private lastScaleOutAt: number | null = null;
  private lastScaleInAt: number | null = null;

  constructor(
    private readonly fleet: WorkerFleet,
    private readonly ecs: EcsReader | null,
    private readonly intervalMs: number,
  ) {}

  /**
   * Decides from the loads of the fleet's queues (others are ignored: no worker of
   * this service takes their jobs). Null when ECS is configured but its counts are
   * unknown or stale: no decision beats one made from a wrong pool size.
   */
  async sample(
    loads: ReadonlyMap<string, QueueLoad>,
    healthyWorkers: number,
    now: number,
  ): Promise<ScalingSample | null> {
    let workerTasks = healthyWorkers;
    let runningTasks: number | null = null;
    if (this.ecs) {
      const counts = await this.ecs.read();
      if (!counts || counts.stale) return null;
      workerTasks = counts.desiredCount;
      runningTasks = counts.runningCount;
    }
    const remembered =
      this.asked && now - this.asked.at <= this.intervalMs * MEMORY_TICKS ? this.asked : null;
    const current = remembered?.desired ?? workerTasks;
    const decision = decideScaling(this.fleet.policy, {
      queues: this.fleet.queues.map(
        (queue) => loads.get(queue) ?? { backlog: 0, processing: 0, jobSeconds: null },
      ),
      slots: this.fleet.slots,
      current,
      now,
      lastScaleOutAt: this.lastScaleOutAt,
      lastScaleInAt: this.lastScaleInAt,
    });
    if (decision.desired > current) this.lastScaleOutAt = now;
    if (decision.desired < current) this.lastScaleInAt = now;
    this.asked = { desired: decision.desired, at: now };
    return {
      service: this.fleet.service,
      desired: decision.desired,
      workerTasks,
      runningTasks,
      reason: decision.reason,
    };
  }
}

export function scalingMetricData(sample: ScalingSample, timestamp: Date): MetricDatum[] {
  const datum = (name: string, value: number): MetricDatum => ({
    MetricName: name,
    Dimensions: [{ Name: METRIC_SERVICE_DIMENSION, Value: sample.service }],
    Timestamp: timestamp,
    Value: value,
    Unit: "Count",
  });
  return [
    datum(SCALING_METRIC_NAMES.desiredWorkers, sample.desired),
    datum(SCALING_METRIC_NAMES.workerTasks, sample.workerTasks),
    ...(sample.runningTasks === null
      ? []
      : [datum(SCALING_METRIC_NAMES.runningWorkerTasks, sample.runningTasks)]),
  ];
}
