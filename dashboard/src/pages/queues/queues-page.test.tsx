/**
 * Role-based hiding: the same page for a read-only key and an admin key. The API
 * answers come from a stand-in `fetch` (this is the browser's side only; the
 * server's own role checks are tested against the real app).
 */
import { Router } from "@solidjs/router";
import { render, screen, waitFor } from "@solidjs/testing-library";
import { describe, expect, it, vi } from "vitest";
import { refetchSession, session } from "../../lib/session.js";
import QueuesPage from "./queues-page.js";

const queues = {
  queues: [
    {
      name: "default",
      paused: false,
      counts: { blocked: 0, scheduled: 0, pending: 3, processing: 1, completed: 9, failed: 2, canceled: 0 },
      countsByType: {},
      dueScheduled: 0,
      backlog: 3,
      oldestPendingAgeSeconds: 4,
      breakers: [
        {
          type: "flaky",
          state: "open",
          failureRate: 1,
          calls: 4,
          failures: 4,
          openedAt: new Date().toISOString(),
          reopensAt: new Date(Date.now() + 60_000).toISOString(),
          config: {
            failureRateThreshold: 0.5,
            minCalls: 4,
            windowMs: 60_000,
            cooldownMs: 600_000,
            halfOpenProbes: 1,
          },
        },
      ],
    },
  ],
};

const answers = vi.hoisted(() => {
  const state = { role: "admin" as "read" | "admin", queues: {} as unknown };
  // In place before any module asks who the viewer is.
  globalThis.fetch = (async (url: string) => {
    const body = url.startsWith("/v1/session")
      ? { name: state.role, role: state.role, open: false }
      : state.queues;
    return new Response(JSON.stringify(body), {
      status: 200,
      headers: { "content-type": "application/json" },
    });
  }) as typeof fetch;
  return state;
});
answers.queues = queues;

async function renderAs(as: "read" | "admin") {
  answers.role = as;
  await refetchSession();
  await waitFor(() => expect(session()?.role).toBe(as));
  render(() => <Router>{[{ path: "*", component: QueuesPage }]}</Router>);
  await screen.findByTestId("breakers-table");
}

describe("queues page by role", () => {
  it("shows pause and reset to an admin", async () => {
    await renderAs("admin");
    expect(await screen.findByRole("button", { name: "Pause" })).toBeTruthy();
    expect(screen.getByRole("button", { name: "Reset" })).toBeTruthy();
  });

  it("hides every mutating control from a read-only key", async () => {
    await renderAs("read");
    expect(screen.getAllByText("default").length).toBeGreaterThan(0);
    expect(screen.queryAllByRole("button")).toHaveLength(0);
  });
});
