/**
 * Job logs: the lines a handler writes with `ctx.log()`, kept with the job in a
 * bounded Redis list (the last LIMITS.logLines lines of at most
 * LIMITS.logLineChars each) and deleted with it. Writes are fenced by the lease
 * token (append-job-log.lua); `getJobLogs` reads them for the control plane.
 * A line is stored as `<epoch ms> <attempt> <message>`.
 */
import type { Lease, LeaseStatus } from "../consumer/leased-job.js";
import { parseJobId } from "../job-id.js";
import { queueKeys } from "../keys.js";
import type { RedisClient } from "../redis/connection.js";
import { LIMITS } from "../schemas/limits.js";
import { truncateText } from "../schemas/unicode.js";
import { resolveSettings } from "../settings.js";
import { createQueueContext, type QueueContext } from "./queue-context.js";

export interface JobLogEntry {
  at: string;
  /** The attempt that wrote the line. */
  attempt: number;
  message: string;
}

/** Appends log lines for the jobs one consumer holds in one queue. */
export class JobLogWriter {
  private readonly context: QueueContext;

  constructor(redis: RedisClient, queue: string) {
    this.context = createQueueContext(redis, queue, resolveSettings());
  }

  /** One round trip for all the lines; the status says whether the lease was still held. */
  async append(lease: Lease & { attempt: number }, messages: readonly string[]): Promise<LeaseStatus> {
    if (messages.length === 0) return { ok: true };
    const now = Date.now();
    const lines = messages
      .slice(-LIMITS.logLines)
      .map((message) => `${now} ${lease.attempt} ${truncateText(message, LIMITS.logLineChars - 1)}`);
    const [code, state] = (await this.context.run("append-job-log", [
      lease.seq,
      lease.token,
      LIMITS.logLines,
      ...lines,
    ])) as [number, string];
    return code === 1 ? { ok: true } : { ok: false, state: state || null };
  }
}

const LINE = /^(\d+) (\d+) ([\s\S]*)$/;

/** The job's log lines, oldest first; empty when it has none or does not exist. */
export async function getJobLogs(redis: RedisClient, jobId: string): Promise<JobLogEntry[]> {
  return (await getJobLogPage(redis, jobId)).lines;
}

export interface JobLogPage {
  lines: JobLogEntry[];
  /** Lines kept now (the window of the latest LIMITS.logLines). */
  total: number;
  /** Where the next page starts; null after the last line. */
  nextOffset: number | null;
}

/**
 * A page of the job's log lines, oldest first, from `offset` in the kept window;
 * empty when it has none or does not exist. One round trip (LRANGE and LLEN on the
 * job's slot). The window drops its oldest lines as new ones come beyond the cap,
 * so an offset is a position in the window as it is now.
 */
export async function getJobLogPage(
  redis: RedisClient,
  jobId: string,
  page: { offset?: number; limit?: number } = {},
): Promise<JobLogPage> {
  const { queue, seq } = parseJobId(jobId);
  const offset = page.offset ?? 0;
  const limit = page.limit ?? LIMITS.logLines;
  const key = queueKeys(queue).jobLog(seq);
  const [lines, total] = await Promise.all([redis.lrange(key, offset, offset + limit - 1), redis.llen(key)]);
  return {
    lines: lines.map((line) => {
      const [, at = "0", attempt = "0", message = line] = LINE.exec(line) ?? [];
      return { at: new Date(Number(at)).toISOString(), attempt: Number(attempt), message };
    }),
    total,
    nextOffset: offset + lines.length < total ? offset + lines.length : null,
  };
}
