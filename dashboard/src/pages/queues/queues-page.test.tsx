/**
 * Role-based hiding: the same page for a read-only key and an admin key. The API
 * answers come from a stand-in `fetch` (this is the browser's side only; the
 * server's own role checks are tested against the real app).
 */
import { Router } from "@solidjs/router";
import { fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
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

const flow = {
  name: "default",
  rules: [
    {
      scope: { scope: "type", type: "sync" },
      rule: { rate: { limit: 10, windowMs: 1000, burst: 2 }, concurrency: 3 },
    },
    { scope: { scope: "group", type: "sync" }, rule: { concurrency: 1 } },
  ],
  queue: { allowedNow: null, nextAt: null },
  types: [
    {
      type: "sync",
      running: 3,
      allowedNow: 0,
      nextAt: null,
      groupsActive: 4,
      groupsParked: 1,
      groupsWaitingForSlot: 2,
    },
  ],
};

const answers = vi.hoisted(() => {
  const state = {
    role: "admin" as "read" | "admin",
    queues: {} as unknown,
    flow: {} as unknown,
    sent: [] as { method: string; url: string; body: unknown }[],
  };
  // In place before any module asks who the viewer is.
  globalThis.fetch = (async (url: string, init: RequestInit = {}) => {
    const method = init.method ?? "GET";
    if (method !== "GET") {
      state.sent.push({ method, url, body: init.body ? JSON.parse(String(init.body)) : undefined });
    }
    const body = url.startsWith("/v1/session")
      ? { name: state.role, role: state.role, open: false }
      : url.includes("/flow")
        ? state.flow
        : state.queues;
    return new Response(JSON.stringify(body), {
      status: 200,
      headers: { "content-type": "application/json" },
    });
  }) as typeof fetch;
  return state;
});
answers.queues = queues;
answers.flow = flow;

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

  it("shows each queue's flow rules and state: rate, next slot, running against concurrency, groups", async () => {
    await renderAs("read");
    const rule = (await screen.findByTestId("flow-rules-table")).querySelector(
      '[data-flow-rule="default/type sync"]',
    );
    expect(rule?.textContent).toContain("10 per 1 s, burst 2");
    const state = screen.getByTestId("flow-state-table").querySelector('[data-flow-state="default/sync"]');
    const cells = [...(state?.querySelectorAll("td") ?? [])].map((cell) => cell.textContent);
    expect(cells).toEqual(["default", "sync", "0", "when a job ends", "3 / 3", "4", "1", "2"]);
    expect(screen.queryByTestId("flow-rule-form")).toBeNull();
  });

  it("lets an admin set a rule for each group of a type and remove one", async () => {
    answers.sent = [];
    await renderAs("admin");
    const form = await screen.findByTestId("flow-rule-form");
    const field = (name: string) => form.querySelector(`[name="${name}"]`) as HTMLInputElement;
    fireEvent.change(field("scope"), { target: { value: "group" } });
    await waitFor(() => expect(field("type")).toBeTruthy());
    fireEvent.input(field("type"), { target: { value: "sync" } });
    fireEvent.input(field("limit"), { target: { value: "5" } });
    fireEvent.input(field("window"), { target: { value: "60" } });
    fireEvent.input(field("concurrency"), { target: { value: "2" } });
    fireEvent.click(screen.getByRole("button", { name: "Set rule" }));
    await waitFor(() =>
      expect(answers.sent).toContainEqual({
        method: "PUT",
        url: "/v1/queues/default/flow/types/sync/group-rule",
        body: { rate: { limit: 5, windowMs: 60_000 }, concurrency: 2 },
      }),
    );
    const [remove] = screen.getAllByRole("button", { name: "Remove" });
    fireEvent.click(remove as HTMLElement);
    await waitFor(() =>
      expect(answers.sent).toContainEqual({
        method: "DELETE",
        url: "/v1/queues/default/flow/types/sync/rule",
        body: undefined,
      }),
    );
  });

  it("hides every mutating control from a read-only key", async () => {
    await renderAs("read");
    expect(screen.getAllByText("default").length).toBeGreaterThan(0);
    expect(screen.queryAllByRole("button")).toHaveLength(0);
  });
});
