import type { Job } from "@rqueue/shared/contract";
import { describe, expect, it } from "vitest";
import { buildTimeline } from "./job-timeline.js";

describe("job timeline", () => {
  it("orders creation, failed attempts, the last start and the finish, with the time between steps", () => {
    const job = {
      state: "completed",
      attempts: 3,
      createdAt: "2026-12-01T12:00:00.000Z",
      runAt: null,
      startedAt: "2026-12-01T12:00:09.000Z",
      finishedAt: "2026-12-01T12:00:10.500Z",
      errors: [
        { attempt: 2, message: "timeout", reason: "timeout", at: "2026-12-01T12:00:05.000Z" },
        { attempt: 1, message: "boom", at: "2026-12-01T12:00:01.000Z" },
      ],
    } as unknown as Job;
    const steps = buildTimeline(job);
    expect(steps.map((step) => [step.label, step.sincePrevious])).toEqual([
      ["created", null],
      ["attempt 1 failed", 1_000],
      ["attempt 2 failed", 4_000],
      ["attempt 3 started", 4_000],
      ["completed", 1_500],
    ]);
    expect(steps[2]?.detail).toBe("timeout: timeout");
  });

  it("shows a waiting job's expiry, and why an expired job was canceled", () => {
    const waiting = {
      state: "scheduled",
      attempts: 0,
      createdAt: "2026-12-01T12:00:00.000Z",
      runAt: "2026-12-01T12:00:05.000Z",
      expiresAt: "2026-12-01T12:01:00.000Z",
      startedAt: null,
      finishedAt: null,
      cancelReason: null,
      errors: [],
    } as unknown as Job;
    expect(buildTimeline(waiting).map((step) => [step.label, step.sincePrevious])).toEqual([
      ["created", null],
      ["due to run", 5_000],
      ["expires unless started", 55_000],
    ]);
    const expired = { ...waiting, state: "canceled", runAt: null, expiresAt: null, cancelReason: "expired" };
    const finished = buildTimeline({ ...expired, finishedAt: "2026-12-01T12:01:00.004Z" } as Job).at(-1);
    expect(finished).toMatchObject({ label: "canceled", detail: "expired", kind: "finished" });
  });
});
