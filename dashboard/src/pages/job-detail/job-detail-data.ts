/**
 * A job's detail: the job (polled until it is final, then left alone; payload and
 * result read once), its graph
 * when it has parents or children, and its log lines.
 */
import { isFinalState, type Job, type JobGraph } from "@rqueue/shared/contract";
import { type Accessor, createMemo } from "solid-js";
import { api } from "../../lib/api.js";
import { createPoll } from "../../lib/poll.js";
import { pollMs } from "../../lib/preferences.js";

export function createJobDetailData(id: Accessor<string>) {
  let final = false;
  let held: Job | null = null;
  const job = createPoll(
    async (jobId: string): Promise<Job> => {
      // The payload never changes and the result only comes with a final state: after the first
      // read, polls leave both out (they can be 512 KiB each) and keep the copies already held.
      const summary = held?.id === jobId ? await api.getJobSummary(jobId) : null;
      const value =
        summary && held && !(isFinalState(summary.state) && !isFinalState(held.state))
          ? { ...summary, payload: held.payload, result: held.result }
          : await api.getJob(jobId);
      held = value;
      final = isFinalState(value.state);
      return value;
    },
    { key: id, interval: () => (final ? 0 : pollMs()) },
  );
  const related = createMemo(() => {
    const value = job.data();
    return value ? value.dependsOn.length + value.dependentsCount : 0;
  });
  const graphKey = createMemo(() => `${id()}|${job.data()?.state ?? ""}|${related()}`);
  const graph = createPoll(
    (): Promise<JobGraph | null> => (related() > 0 ? api.getJobGraph(id()) : Promise.resolve(null)),
    { key: graphKey, interval: () => 0 },
  );
  // Keyed by state too, so the lines written just before the job finished are read.
  const logsKey = createMemo(() => `${id()}|${job.data()?.state ?? ""}`);
  const logs = createPoll(() => api.getJobLogs(id()), {
    key: logsKey,
    interval: () => (final ? 0 : pollMs()),
  });
  return { job, graph, logs };
}
