/**
 * Flow control's part of GET /metrics: per queue and job type with a rule or with
 * groups, the jobs running and the groups taking turns, parked by a rate (or an
 * upstream hold) and waiting for a free slot, from read-flow-state.lua at each
 * scrape (one script call per queue, O(types): no scan of jobs or groups).
 */
import type { FlowState } from "@rqueue/shared";
import type { RequestQueues } from "../../queues/request-queues.js";
import type { PrometheusText } from "./prometheus-text.js";

type TypeState = FlowState["types"][number];

const FAMILIES: [name: string, help: string, read: (t: TypeState) => number][] = [
  [
    "rqueue_flow_running_jobs",
    "Jobs of a flow-limited or grouped type running now, across every worker (what its concurrency counts).",
    (t) => t.running,
  ],
  [
    "rqueue_flow_groups_active",
    "Groups with pending jobs taking turns (fair queuing).",
    (t) => t.groupsActive,
  ],
  [
    "rqueue_flow_groups_parked",
    "Groups held back by their rate limit or an upstream hold until a time.",
    (t) => t.groupsParked,
  ],
  [
    "rqueue_flow_groups_waiting_for_slot",
    "Groups held back until one of their running jobs ends (their concurrency is full).",
    (t) => t.groupsWaitingForSlot,
  ],
];

export async function writeFlowMetrics(
  queues: RequestQueues,
  names: string[],
  out: PrometheusText,
): Promise<void> {
  const states = await Promise.all(
    names.map(async (name) => ({ name, state: await queues.get(name).flowState() })),
  );
  for (const [family, help, read] of FAMILIES) {
    out.family(family, "gauge", help);
    for (const { name, state } of states) {
      for (const type of state.types) out.sample(family, { queue: name, type: type.type }, read(type));
    }
  }
}
