/**
 * Test support: final jobs with chosen fields, as the engine would return them,
 * for storage tests that do not need a queue.
 */
import type { Job, JsonValue } from "@rqueue/shared";

export interface SampleJobOptions {
  id: string;
  type?: string;
  state?: "completed" | "failed" | "canceled";
  payload?: JsonValue;
  result?: JsonValue | null;
  errors?: string[];
  createdAt?: number;
  finishedAt?: number;
  attempts?: number;
}

export function sampleJob(options: SampleJobOptions): Job {
  const finished = options.finishedAt ?? Date.now();
  const created = options.createdAt ?? finished - 1_000;
  const errors = (options.errors ?? []).map((message, index) => ({
    attempt: index + 1,
    message,
    at: new Date(created + index).toISOString(),
  }));
  return {
    id: options.id,
    queue: options.id.slice(0, options.id.lastIndexOf(":")),
    type: options.type ?? "email.send",
    state: options.state ?? (errors.length > 0 ? "failed" : "completed"),
    priority: 5,
    payload: options.payload ?? { to: "ada@example.com" },
    progress: null,
    result: options.result === undefined ? { ok: true } : options.result,
    attempts: options.attempts ?? Math.max(1, errors.length),
    maxAttempts: 3,
    backoff: null,
    timeoutMs: null,
    idempotencyKey: null,
    group: null,
    lastError: errors.at(-1) ?? null,
    errors,
    failureReason: errors.length > 0 ? "error" : null,
    cancelReason: null,
    expiresAt: null,
    createdAt: new Date(created).toISOString(),
    startedAt: new Date(created + 10).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    runAt: null,
    workerId: "w-1",
    dependsOn: [],
    onParentFailure: "fail",
    failedParent: null,
    dependents: [],
    dependentsCount: 0,
    replayOf: null,
    replays: [],
  };
}
