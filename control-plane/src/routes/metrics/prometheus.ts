/**
 * GET /metrics in the Prometheus text format, read from Redis at each scrape:
 * job counts per state, backlog, oldest pending age, paused flag, accounted bytes
 * and memory budget per queue;
 * lifetime counters per queue; wait and run time histograms per queue and job
 * type; circuit breaker states; live workers and their busy and total slots;
 * schedules and their runs (schedule-metrics.ts); flow control per queue and type
 * (flow-metrics.ts).
 *
 * Counters and histograms are the engine's totals (the `stats` and `hist` hashes
 * the scripts update in the call that changes a job), so they are current, agree
 * between replicas and keep counting across control-plane restarts. Cost is
 * O(queues × types × buckets + workers), never O(jobs).
 */
import {
  type CircuitBreakerState,
  getCircuitBreakers,
  listWorkers,
  readQueueHistograms,
} from "@rqueue/shared";
import type { AppServices } from "../../app/services.js";
import { archivePrometheus, readArchiveStatus } from "../../archive/archive-status.js";
import type { RequestQueues } from "../../queues/request-queues.js";
import { writeFlowMetrics } from "./flow-metrics.js";
import { PrometheusText } from "./prometheus-text.js";
import { writeScheduleMetrics } from "./schedule-metrics.js";

const COUNTERS = ["added", "completed", "failed", "retried", "canceled"] as const;
const BREAKER_STATES: CircuitBreakerState[] = ["closed", "open", "half-open"];

async function readQueue(services: AppServices, queues: RequestQueues, name: string) {
  const queue = queues.get(name);
  const [gauges, stats, histograms, breakers] = await Promise.all([
    queue.gauges(),
    queue.stats(1),
    readQueueHistograms(services.redis, name),
    getCircuitBreakers(services.redis, name),
  ]);
  return { name, gauges, counters: stats.counters, histograms, breakers };
}

export async function renderPrometheus(services: AppServices, queues: RequestQueues): Promise<string> {
  const names = await services.queues.names();
  const [perQueue, workers] = await Promise.all([
    Promise.all(names.map((name) => readQueue(services, queues, name))),
    listWorkers(services.redis),
  ]);
  const out = new PrometheusText();

  out.family("rqueue_jobs", "gauge", "Jobs per queue and state.");
  for (const q of perQueue) {
    for (const [state, n] of Object.entries(q.gauges.counts))
      out.sample("rqueue_jobs", { queue: q.name, state }, n);
  }
  type Row = (typeof perQueue)[number];
  const gauges: [string, string, (q: Row) => number][] = [
    ["rqueue_backlog", "Pending plus due scheduled jobs.", (q) => q.gauges.backlog],
    [
      "rqueue_oldest_pending_age_seconds",
      "Age of the longest-waiting pending job.",
      (q) => q.gauges.oldestPendingAgeSeconds,
    ],
    ["rqueue_queue_paused", "1 when the queue is paused.", (q) => (q.gauges.paused ? 1 : 0)],
    [
      "rqueue_queue_bytes",
      "Accounted bytes: a per-job estimate plus payloads, for the jobs Redis keeps (what the budget counts).",
      (q) => q.gauges.bytes,
    ],
    [
      "rqueue_queue_max_bytes",
      "The queue's memory budget (RQ_QUEUE_MAX_BYTES); 0: none.",
      (q) => q.gauges.maxBytes,
    ],
  ];
  for (const [name, help, read] of gauges) {
    out.family(name, "gauge", help);
    for (const q of perQueue) out.sample(name, { queue: q.name }, read(q));
  }
  for (const counter of COUNTERS) {
    const name = `rqueue_jobs_${counter}_total`;
    out.family(name, "counter", `Jobs ${counter} since the queue was created.`);
    for (const q of perQueue) out.sample(name, { queue: q.name }, q.counters[counter]);
  }
  out.family(
    "rqueue_jobs_limited_total",
    "counter",
    "Runs a handler ended as rate limited upstream (RateLimitedError): delayed without spending an attempt.",
  );
  for (const q of perQueue) out.sample("rqueue_jobs_limited_total", { queue: q.name }, q.counters.limited);

  out.family("rqueue_job_wait_seconds", "histogram", "Time from pending (or due) to started, per attempt.");
  for (const q of perQueue) {
    for (const t of q.histograms) {
      out.histogram("rqueue_job_wait_seconds", { queue: q.name, type: t.type }, t.wait.buckets, t.wait.sumMs);
    }
  }
  out.family("rqueue_job_run_seconds", "histogram", "Time from started to settled, per attempt.");
  for (const q of perQueue) {
    for (const t of q.histograms) {
      out.histogram("rqueue_job_run_seconds", { queue: q.name, type: t.type }, t.run.buckets, t.run.sumMs);
    }
  }

  out.family(
    "rqueue_circuit_breaker_state",
    "gauge",
    "1 for the state a job type's circuit breaker is in (closed, open, half-open), 0 for the others.",
  );
  for (const q of perQueue) {
    for (const breaker of q.breakers) {
      for (const state of BREAKER_STATES) {
        out.sample(
          "rqueue_circuit_breaker_state",
          { queue: q.name, type: breaker.type, state },
          breaker.state === state ? 1 : 0,
        );
      }
    }
  }
  out.family(
    "rqueue_circuit_breaker_failure_rate",
    "gauge",
    "Failed share of the calls in the breaker's sliding window.",
  );
  for (const q of perQueue) {
    for (const breaker of q.breakers) {
      out.sample(
        "rqueue_circuit_breaker_failure_rate",
        { queue: q.name, type: breaker.type },
        breaker.failureRate,
      );
    }
  }

  const healthy = workers.filter((w) => w.status === "healthy");
  out.family("rqueue_workers", "gauge", "Registered workers by health (stale: no heartbeat lately).");
  out.sample("rqueue_workers", { status: "healthy" }, healthy.length);
  out.sample("rqueue_workers", { status: "stale" }, workers.length - healthy.length);
  out.family("rqueue_worker_slots", "gauge", "Job slots (concurrency) of healthy workers.");
  out.sample(
    "rqueue_worker_slots",
    {},
    healthy.reduce((sum, w) => sum + w.concurrency, 0),
  );
  out.family("rqueue_worker_busy_slots", "gauge", "Jobs running on healthy workers.");
  out.sample(
    "rqueue_worker_busy_slots",
    {},
    healthy.reduce((sum, w) => sum + w.activeJobs, 0),
  );
  await writeScheduleMetrics(services, queues, out);
  await writeFlowMetrics(queues, names, out);
  const archive = services.archive ? archivePrometheus(await readArchiveStatus(services.archive, names)) : "";
  return out.toString() + archive;
}
