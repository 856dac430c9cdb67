/**
 * The API's Redis deadline for one piece of work (a request, or one queue's share of
 * a batch): answered 503 after `deadlineMs`, with every script of it refused by Redis
 * from a margin before that (`scriptsBy`, see shared/src/redis/request-deadline.ts),
 * so a write answered 503 never applies later.
 */
import { deadlineMargin, RedisUnavailableError } from "@rqueue/shared";

/**
 * The API connection's per-command timeout: a backstop for work outside a deadline
 * (maintenance loops, bulk dead-letter routes), longer than the deadline, because
 * ioredis's timer would reject a command whose reply is already in the socket just
 * as a plain timer would (see raceDeadline).
 */
export const commandTimeoutFor = (deadlineMs: number) => deadlineMs + Math.max(1_000, deadlineMs);

/** When the work's scripts must have started, on this host's clock. */
export const scriptsByFor = (deadlineMs: number) => Date.now() + deadlineMs - deadlineMargin(deadlineMs);

/**
 * `work`, or RedisUnavailableError once `deadlineMs` has passed without its answer.
 * The timeout yields to I/O first: after a stall of this process longer than the
 * margin, the timer and a reply that arrived meanwhile are both due, and the timers
 * run before the socket reads of the same loop turn. The reply must win: its write
 * applied, and a 503 would tell the client to submit it again.
 */
export async function raceDeadline<T>(work: Promise<T>, deadlineMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let afterIo: NodeJS.Immediate | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      afterIo = setImmediate(() =>
        reject(new RedisUnavailableError(`Redis did not answer within ${deadlineMs} ms`)),
      );
    }, deadlineMs);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    clearImmediate(afterIo);
  }
}
