/**
 * The chaos suite's one job type, loaded by the workers through RQ_HANDLERS_DIR. Each
 * execution appends a start line and, when it returns or throws, an end line to the
 * ledger file of its process (RQ_CHAOS_LEDGER_DIR/<pid>.jsonl), synchronously so a
 * line written before a kill -9 is on disk. The result names the execution, which
 * tells afterwards which run's completion Redis committed.
 *
 * Payload: ms (work time), fail (throw, a retryable error), hang (never settle and
 * ignore the abort signal), blockMs (busy-loop the event loop first).
 */
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import * as v from "valibot";
import { defineHandler } from "../../../worker-image/src/handler-definition.js";

const ledgerDir = process.env.RQ_CHAOS_LEDGER_DIR;
const ledgerFile = ledgerDir ? join(ledgerDir, `${process.pid}.jsonl`) : undefined;
let executions = 0;

function record(line: Record<string, unknown>): void {
  if (ledgerFile) appendFileSync(ledgerFile, `${JSON.stringify(line)}\n`);
}

export default defineHandler({
  type: "chaos",
  payload: v.object({
    ms: v.optional(v.number()),
    fail: v.optional(v.boolean()),
    hang: v.optional(v.boolean()),
    blockMs: v.optional(v.number()),
  }),
  circuitBreaker: false,
  async handle(job, ctx) {
    const execution = `${process.pid}-${++executions}`;
    record({ k: "start", j: job.id, a: job.attempt, x: execution, pid: process.pid, t: Date.now() });
    if (job.payload.blockMs) {
      const until = Date.now() + job.payload.blockMs;
      while (Date.now() < until) {
        // Busy on purpose: heartbeats and lease renewals cannot run meanwhile.
      }
    }
    if (job.payload.hang) await new Promise(() => {});
    if (job.payload.ms) await delay(job.payload.ms);
    if (job.payload.fail) {
      record({ k: "end", j: job.id, a: job.attempt, x: execution, ok: false, t: Date.now() });
      throw new Error("chaos: planned failure");
    }
    record({ k: "end", j: job.id, a: job.attempt, x: execution, ok: true, t: Date.now() });
    if (ctx.signal.aborted) return { execution, aborted: true };
    return { execution };
  },
});
