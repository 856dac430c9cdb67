/**
 * The schedules' part of GET /metrics, read from Redis at each scrape like the
 * rest: schedules per queue and how many are active, and the engine's lifetime
 * counters (kept by schedule-advance.lua in the call that records the runs), so
 * every replica answers the same and nothing starts over on a restart. Cost is
 * O(queues with schedules).
 */
import { listScheduleQueues, QueueSchedules, type ScheduleCounters } from "@rqueue/shared";
import type { AppServices } from "../../app/services.js";
import type { RequestQueues } from "../../queues/request-queues.js";
import type { PrometheusText } from "./prometheus-text.js";

const FAMILIES: [
  name: string,
  type: "gauge" | "counter",
  help: string,
  read: (c: ScheduleCounters) => number,
][] = [
  ["rqueue_schedules", "gauge", "Schedules per queue (active, paused and finished).", (c) => c.schedules],
  [
    "rqueue_schedules_active",
    "gauge",
    "Schedules that will fire (not paused, not finished).",
    (c) => c.active,
  ],
  [
    "rqueue_schedule_runs_fired_total",
    "counter",
    "Jobs started by schedules at their due times.",
    (c) => c.fired,
  ],
  [
    "rqueue_schedule_runs_triggered_total",
    "counter",
    "Jobs started by triggering a schedule by hand.",
    (c) => c.triggered,
  ],
  [
    "rqueue_schedule_misfires_skipped_total",
    "counter",
    "Due times skipped by the misfire policy (missed beyond the grace while nothing fired).",
    (c) => c.misfired,
  ],
  [
    "rqueue_schedule_overlaps_skipped_total",
    "counter",
    "Due times skipped because the previous run was unfinished (overlap: skip).",
    (c) => c.overlapSkipped,
  ],
];

export async function writeScheduleMetrics(
  services: AppServices,
  queues: RequestQueues,
  out: PrometheusText,
): Promise<void> {
  const names = await listScheduleQueues(services.redis);
  const counters = await Promise.all(
    names.map(async (name) => ({
      name,
      counters: await new QueueSchedules(queues.get(name)).counters(),
    })),
  );
  for (const [family, type, help, read] of FAMILIES) {
    out.family(family, type, help);
    for (const q of counters) out.sample(family, { queue: q.name }, read(q.counters));
  }
}
