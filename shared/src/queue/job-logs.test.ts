import { describe, expect, it } from "vitest";
import { targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { Consumer } from "../consumer/consumer.js";
import { LIMITS } from "../schemas/limits.js";
import { getJobLogs, JobLogWriter } from "./job-logs.js";
import { Queue } from "./queue.js";

describe.each(targets)("job logs (%s)", (_name, url) => {
  const redis = useRedis(url);
  const setup = async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("log") });
    const consumer = new Consumer({ redis: redis(), queue: queue.name, workerId: "w1", leaseMs: 50 });
    // No backoff: a job whose lease expired is pending again at once.
    const { id } = await queue.add({ type: "noop", backoff: { strategy: "fixed", delayMs: 0 } });
    const [job] = await consumer.take(1);
    if (!job) throw new Error("no job");
    return { queue, consumer, job, id, writer: new JobLogWriter(redis(), queue.name) };
  };

  it("keeps the lines with the job, oldest first, with the attempt that wrote them", async () => {
    const { writer, job, id } = await setup();
    expect(await writer.append(job, ["starting", "halfway"])).toEqual({ ok: true });
    await writer.append(job, ["done"]);
    const logs = await getJobLogs(redis(), id);
    expect(logs.map((entry) => entry.message)).toEqual(["starting", "halfway", "done"]);
    expect(logs[0]).toMatchObject({ attempt: 1 });
    expect(Date.parse(logs[0]?.at ?? "")).toBeGreaterThan(Date.now() - 5_000);
  });

  it("is bounded in lines and line length", async () => {
    const { writer, job, id } = await setup();
    for (let batch = 0; batch < 3; batch++) {
      await writer.append(
        job,
        Array.from({ length: 100 }, (_, i) => `line ${batch * 100 + i}`),
      );
    }
    await writer.append(job, ["x".repeat(LIMITS.logLineChars * 2)]);
    const logs = await getJobLogs(redis(), id);
    expect(logs).toHaveLength(LIMITS.logLines);
    expect(logs[0]?.message).toBe(`line ${300 - LIMITS.logLines + 1}`);
    expect(logs.at(-1)?.message).toHaveLength(LIMITS.logLineChars);
  });

  it("refuses lines from a stale lease holder and goes away with the job", async () => {
    const { queue, consumer, writer, job, id } = await setup();
    await new Promise((resolve) => setTimeout(resolve, 80));
    await queue.maintain();
    const [again] = await consumer.take(1);
    if (!again) throw new Error("job was not re-leased");
    expect(await writer.append(job, ["late"])).toEqual({ ok: false, state: "processing" });
    expect(await writer.append(again, ["second attempt"])).toEqual({ ok: true });
    expect(await getJobLogs(redis(), id)).toMatchObject([{ attempt: 2, message: "second attempt" }]);

    await consumer.settle([{ lease: again, kind: "completed" }], 0);
    await queue.remove(id);
    expect(await getJobLogs(redis(), id)).toEqual([]);
    expect(await writer.append(again, ["after removal"])).toEqual({ ok: false, state: null });
  });
});
