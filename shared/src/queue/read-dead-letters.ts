/**
 * Dead letters grouped: the newest failed jobs of a queue (at most 1,000, read
 * through the per-type indexes) grouped by type and the message of their last
 * error, with counts and first/last seen. Bounded whatever the number of failed
 * jobs; the answer says how many it examined and whether that was all of them.
 */
import type { DeadLetterGroup, DeadLetterGroupsResponse } from "../api/api-types.js";
import { formatJobId } from "../job-id.js";
import type { RedisClient } from "../redis/connection.js";
import { resolveSettings } from "../settings.js";
import type { Queue } from "./queue.js";
import { createQueueContext } from "./queue-context.js";

export const DEAD_LETTER_EXAMINED = 500;
const IDS_PER_GROUP = 50;

interface StoredError {
  message?: string;
  reason?: string;
}

function lastError(json: string): StoredError {
  if (!json) return {};
  try {
    const errors = JSON.parse(json) as StoredError[];
    return errors.at(-1) ?? {};
  } catch {
    return {};
  }
}

export async function readDeadLetterGroups(
  redis: RedisClient,
  queue: Queue,
  examine = DEAD_LETTER_EXAMINED,
): Promise<DeadLetterGroupsResponse> {
  const context = createQueueContext(redis, queue.name, resolveSettings());
  const [rows, gauges] = await Promise.all([
    context.run("read-dead-letters", [examine]) as Promise<string[]>,
    queue.gauges(),
  ]);
  const groups = new Map<string, DeadLetterGroup>();
  let examined = 0;
  for (let i = 0; i + 4 < rows.length; i += 5) {
    examined++;
    const [seq, type, reason, finished, errors] = rows.slice(i, i + 5) as [
      string,
      string,
      string,
      string,
      string,
    ];
    const error = lastError(errors);
    const message = error.message ?? (reason === "dependency-failed" ? "a parent failed" : "(no message)");
    const at = new Date(Number(finished) || 0).toISOString();
    const key = `${type}\u0000${message}`;
    const group = groups.get(key);
    if (!group) {
      groups.set(key, {
        type,
        message,
        reason: reason || error.reason || null,
        count: 1,
        firstSeen: at,
        lastSeen: at,
        jobIds: [formatJobId(queue.name, seq)],
      });
      continue;
    }
    group.count++;
    // Rows come newest first: each later row is older.
    if (at < group.firstSeen) group.firstSeen = at;
    if (at > group.lastSeen) group.lastSeen = at;
    if (group.jobIds.length < IDS_PER_GROUP) group.jobIds.push(formatJobId(queue.name, seq));
  }
  const totalFailed = gauges.counts.failed;
  return {
    queue: queue.name,
    groups: [...groups.values()].sort((a, b) => b.count - a.count || b.lastSeen.localeCompare(a.lastSeen)),
    examined,
    totalFailed,
    complete: examined >= totalFailed,
  };
}
