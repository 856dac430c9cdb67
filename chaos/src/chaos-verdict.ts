/**
 * The chaos suite's checks, from Redis and from the handlers' ledger: every job
 * acknowledged with 201 reaches a final state (none stuck, none lost), each result
 * is committed once, and a job runs again only after its previous run failed, its
 * lease expired, its worker was killed or frozen, or it was handed back on shutdown.
 * One table row per scenario.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeEventSeqs, queueKeys } from "@rqueue/shared";
import type { ChaosStack, SeenEvent } from "./chaos-stack.js";
import { sleep } from "./wait.js";

interface LedgerLine {
  k: "start" | "end";
  j: string;
  a: number;
  x: string;
  pid?: number;
  ok?: boolean;
  t: number;
}

interface Execution {
  job: string;
  attempt: number;
  execution: string;
  pid: number;
  start: number;
  end?: number;
  ok?: boolean;
}

export interface ChaosRow {
  scenario: string;
  jobs: number;
  lost: number;
  /** The acknowledged jobs neither Redis nor the events stream knows. */
  lostIds: string[];
  stuck: number;
  doubleCommitted: number;
  /** Executions past the first, over all jobs, not counting retries after a planned failure. */
  extraExecutions: number;
  /** Re-executions with no failure, expiry, fault or hand-back before them. */
  unexplained: number;
  /** Jobs in Redis the API never acknowledged (answered as failed, written anyway). */
  unacknowledged: number;
  /** Of them, written after the API answered their request 503 (see unacknowledgedWrites). */
  writtenAfterRefusal: number;
  /** Submissions answered with something else than 201, retries included. */
  refused: number;
  /** From the end of the last fault to the first completion after it. */
  recoveryMs: number;
  /** From the end of the last fault until every acknowledged job was final. */
  drainMs: number;
  note: string;
}

const FINAL = new Set(["completed", "failed", "canceled"]);

export function readLedger(dir: string): Execution[] {
  const byExecution = new Map<string, Execution>();
  for (const file of readdirSync(dir)) {
    for (const text of readFileSync(join(dir, file), "utf8").split("\n")) {
      if (!text) continue;
      let line: LedgerLine;
      try {
        line = JSON.parse(text) as LedgerLine;
      } catch {
        continue; // a line cut by kill -9 mid-write
      }
      const known = byExecution.get(line.x);
      if (line.k === "start") {
        byExecution.set(line.x, {
          job: line.j,
          attempt: line.a,
          execution: line.x,
          pid: line.pid ?? 0,
          start: line.t,
          ...(known?.end !== undefined ? { end: known.end, ok: known.ok } : {}),
        });
      } else if (known) {
        known.end = line.t;
        known.ok = line.ok;
      }
    }
  }
  return [...byExecution.values()];
}

/** Waits until every acknowledged job is final in Redis (or the deadline passes). */
export async function waitForFinal(stack: ChaosStack, timeoutMs: number): Promise<number> {
  const keys = queueKeys(stack.options.queue);
  const pending = new Set(stack.acked.keys());
  const deadline = Date.now() + timeoutMs;
  while (pending.size > 0 && Date.now() < deadline) {
    const ids = [...pending].slice(0, 2_000);
    const states = await Promise.all(
      ids.map((id) =>
        stack.redis.hget(keys.job(id.slice(id.lastIndexOf(":") + 1)), "s").catch(() => "unreachable"),
      ),
    );
    ids.forEach((id, i) => {
      const state = states[i];
      const seen = stack.events.get(id);
      if ((state && FINAL.has(state)) || seen?.some((event) => FINAL.has(event.event))) pending.delete(id);
    });
    if (pending.size > 0) await sleep(100);
  }
  return Date.now();
}

export async function judge(
  stack: ChaosStack,
  scenario: string,
  faultEndedAt: number,
  timeoutMs = 60_000,
): Promise<ChaosRow> {
  const finalAt = await waitForFinal(stack, timeoutMs);
  // Let the events of the last settles reach the tail.
  await sleep(300);
  const keys = queueKeys(stack.options.queue);
  // The ledger may be shared with a second queue's stack: this queue's runs only.
  const executions = readLedger(stack.ledgerDir).filter((run) =>
    run.job.startsWith(`${stack.options.queue}:`),
  );
  const byJob = new Map<string, Execution[]>();
  for (const run of executions) byJob.set(run.job, [...(byJob.get(run.job) ?? []), run]);

  const lostIds: string[] = [];
  let stuck = 0;
  let doubleCommitted = 0;
  let extraExecutions = 0;
  let unexplained = 0;
  const examples: string[] = [];
  for (const id of stack.acked.keys()) {
    const seq = id.slice(id.lastIndexOf(":") + 1);
    const [state, result] = await stack.redis.hmget(keys.job(seq), "s", "r");
    const seen = stack.events.get(id) ?? [];
    const completions = seen.filter((event) => event.event === "completed").length;
    if (!state && !seen.some((event) => FINAL.has(event.event))) {
      lostIds.push(id);
      if (examples.length < 5) examples.push(`${id} lost`);
    } else if (state && !FINAL.has(state)) {
      stuck++;
      if (examples.length < 5) examples.push(`${id} stuck in ${state}`);
    }
    if (completions > 1) {
      doubleCommitted++;
      if (examples.length < 5) examples.push(`${id} completed ${completions} times`);
    }
    const runs = (byJob.get(id) ?? []).sort((a, b) => a.start - b.start);
    for (let i = 1; i < runs.length; i++) {
      const previous = runs[i - 1] as Execution;
      const next = runs[i] as Execution;
      if (previous.ok !== false) extraExecutions++;
      if (reasonsBefore(next.start, runs, seen, stack.faultedPids) < i) {
        unexplained++;
        if (examples.length < 5)
          examples.push(
            `${id} run ${next.execution} (+${next.start - previous.start} ms) after ${previous.execution} (ended ${previous.end === undefined ? "never" : `+${previous.end - previous.start} ms`}); events ${seen.map((event) => `${event.event}/${event.reason ?? ""}@+${event.at - previous.start}`).join(" ")}`,
          );
      }
    }
    // The committed result names one execution that really ran this job.
    if (result && state === "completed") {
      const execution = (JSON.parse(result) as { execution?: string }).execution;
      if (execution && !runs.some((run) => run.execution === execution)) {
        unexplained++;
        if (examples.length < 5) examples.push(`${id} result from unknown execution ${execution}`);
      }
    }
  }
  const unacknowledged = await stack.unacknowledgedWrites();
  const firstCompletionAfter = executions
    .filter((run) => run.ok && run.end !== undefined && run.end >= faultEndedAt)
    .reduce((min, run) => Math.min(min, run.end as number), Number.POSITIVE_INFINITY);
  return {
    scenario,
    jobs: stack.acked.size,
    unacknowledged: unacknowledged.count,
    writtenAfterRefusal: unacknowledged.afterRefusal,
    refused: [...stack.refused.values()].reduce((sum, n) => sum + n, 0),
    lost: lostIds.length,
    lostIds,
    stuck,
    doubleCommitted,
    extraExecutions,
    unexplained,
    recoveryMs: Number.isFinite(firstCompletionAfter) ? Math.max(0, firstCompletionAfter - faultEndedAt) : -1,
    drainMs: Math.max(0, finalAt - faultEndedAt),
    note: [
      ...(stack.refused.size
        ? [
            `refused: ${[...stack.refused].map(([status, n]) => `${n} × ${status || "no answer"}`).join(", ")}`,
          ]
        : []),
      ...examples,
      ...unacknowledged.examples,
    ].join("; "),
  };
}

/**
 * Jobs the queue's events stream, as Redis holds it now, shows completed more than
 * once. After a failover that is the history that survived: completions a demoted
 * master acknowledged and then discarded (which the live tail may have seen) are
 * not in it.
 */
export async function completedTwiceInStream(stack: ChaosStack): Promise<string[]> {
  const key = queueKeys(stack.options.queue).events;
  const completions = new Map<string, number>();
  let start = "-";
  for (;;) {
    const entries = (await stack.redis.xrange(key, start, "+", "COUNT", 5_000)) as [string, string[]][];
    for (const [, fields] of entries) {
      const record = new Map<string, string>();
      for (let i = 0; i + 1 < fields.length; i += 2) record.set(fields[i] as string, fields[i + 1] as string);
      if (record.get("e") !== "completed") continue;
      const seqs = record.get("j");
      for (const seq of seqs ? decodeEventSeqs(seqs) : [])
        completions.set(seq, (completions.get(seq) ?? 0) + 1);
    }
    if (entries.length < 5_000) break;
    start = `(${entries.at(-1)?.[0]}`;
  }
  return [...completions].filter(([, n]) => n > 1).map(([seq]) => `${stack.options.queue}:${seq}`);
}

/** Runs of this queue's jobs that returned (not threw), from the ledger, by job. */
export function successfulRuns(stack: ChaosStack): Map<string, { start: number; end: number }[]> {
  const byJob = new Map<string, { start: number; end: number }[]>();
  for (const run of readLedger(stack.ledgerDir)) {
    if (!run.job.startsWith(`${stack.options.queue}:`) || run.ok !== true || run.end === undefined) continue;
    byJob.set(run.job, [...(byJob.get(run.job) ?? []), { start: run.start, end: run.end }]);
  }
  for (const runs of byJob.values()) runs.sort((a, b) => a.start - b.start);
  return byJob;
}

/**
 * Why a job may run again, as the events stream says (1 s of slack between clocks):
 * an attempt a worker reported failed (its handler threw or timed out), a lease that
 * expired (killed, frozen or blocked worker), a hand-back on shutdown.
 */
const RERUN_REASONS = new Set(["error", "timeout", "lease-expired", "released"]);

/**
 * Reasons for a job to run again seen before `at`; the n-th re-run needs n of them.
 * The ledger counts too, for events a Redis crash may have lost: runs that threw,
 * and unfinished runs on a worker a fault hit.
 */
function reasonsBefore(
  at: number,
  runs: Execution[],
  seen: SeenEvent[],
  faultedPids: Map<number, number>,
): number {
  const events = seen.filter(
    (event) => event.reason !== undefined && RERUN_REASONS.has(event.reason) && event.at <= at + 1_000,
  ).length;
  const failedRuns = runs.filter((run) => run.start < at && run.ok === false).length;
  const faulted = runs.filter((run) => {
    const faultAt = faultedPids.get(run.pid);
    return run.start < at && run.end === undefined && faultAt !== undefined && faultAt <= at;
  }).length;
  return Math.max(events, failedRuns + faulted);
}

export function formatTable(rows: ChaosRow[]): string {
  const header = [
    "scenario",
    "jobs",
    "lost",
    "stuck",
    "double-committed",
    "written, not acked",
    "of them after a 503",
    "refused (retried)",
    "executions beyond one",
    "unexplained re-runs",
    "recovery (ms)",
    "drain (ms)",
  ];
  const lines = rows.map((row) => [
    row.scenario,
    String(row.jobs),
    String(row.lost),
    String(row.stuck),
    String(row.doubleCommitted),
    String(row.unacknowledged),
    String(row.writtenAfterRefusal),
    String(row.refused),
    String(row.extraExecutions),
    String(row.unexplained),
    row.recoveryMs < 0 ? "—" : String(row.recoveryMs),
    String(row.drainMs),
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...lines.map((line) => (line[i] ?? "").length)),
  );
  const format = (cells: string[]) =>
    `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(" | ")} |`;
  const rule = `| ${widths.map((width, i) => (i === 0 ? "-".repeat(width) : `${"-".repeat(width - 1)}:`)).join(" | ")} |`;
  const notes = rows.filter((row) => row.note).map((row) => `- ${row.scenario}: ${row.note}`);
  return [format(header), rule, ...lines.map(format), ...notes].join("\n");
}
