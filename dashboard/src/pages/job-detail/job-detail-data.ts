/**
 * A job's detail: the job (polled until it is final, then left alone), its graph
 * when it has parents or children, and its log lines.
 */
import { isFinalState, type JobGraph } from "@rqueue/shared/contract";
import { type Accessor, createMemo } from "solid-js";
import { api } from "../../lib/api.js";
import { createPoll } from "../../lib/poll.js";
import { pollMs } from "../../lib/preferences.js";

export function createJobDetailData(id: Accessor<string>) {
  let final = false;
  const job = createPoll(
    async (jobId: string) => {
      const value = await api.getJob(jobId);
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
