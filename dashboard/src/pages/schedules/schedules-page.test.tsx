/**
 * The Schedules page against a stand-in `fetch` (the browser's side only; the
 * server's own checks are tested against the real app): next and last runs shown,
 * controls by role, and the create form sending what it says and showing the
 * API's field error.
 */
import { Router } from "@solidjs/router";
import { fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import { describe, expect, it, vi } from "vitest";
import { refetchSession, session } from "../../lib/session.js";
import { scheduleInputOf } from "./schedule-form.js";
import SchedulesPage from "./schedules-page.js";

const soon = (ms: number) => new Date(Date.now() + ms).toISOString();
const schedule = {
  id: "nightly",
  queue: "default",
  job: { type: "report", payload: {} },
  cron: "30 2 * * *",
  timezone: "Europe/Berlin",
  everyMs: null,
  startAt: null,
  endAt: null,
  limit: null,
  misfire: "runOnce",
  maxCatchUp: 100,
  misfireGraceMs: 60_000,
  overlap: "skip",
  status: "active",
  nextRunAt: soon(3_600_000),
  nextRuns: [soon(3_600_000), soon(90_000_000)],
  lastRuns: [
    { jobId: "default:42", dueAt: soon(-60_000), manual: false, state: "completed" },
    { jobId: "default:41", dueAt: soon(-120_000), manual: true, state: null },
  ],
  runs: 7,
  triggered: 1,
  misfired: 0,
  overlapSkipped: 2,
  lastError: null,
  version: 3,
  createdAt: soon(-86_400_000),
  updatedAt: soon(-3_600_000),
};

const answers = vi.hoisted(() => {
  const state = {
    role: "admin" as "read" | "submit" | "admin",
    posted: [] as { url: string; body: unknown }[],
    createAnswer: null as null | { status: number; body: unknown },
    list: {} as unknown,
  };
  globalThis.fetch = (async (url: string, init?: RequestInit) => {
    let status = 200;
    let body: unknown = state.list;
    if (url.startsWith("/v1/session")) body = { name: state.role, role: state.role, open: false };
    else if (init?.method === "POST") {
      state.posted.push({ url, body: init.body ? JSON.parse(String(init.body)) : null });
      if (url === "/v1/schedules" && state.createAnswer) ({ status, body } = state.createAnswer);
    }
    return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  }) as typeof fetch;
  return state;
});
answers.list = { items: [schedule], nextCursor: null };

async function renderAs(as: "read" | "submit" | "admin") {
  answers.role = as;
  await refetchSession();
  await waitFor(() => expect(session()?.role).toBe(as));
  render(() => <Router>{[{ path: "*", component: SchedulesPage }]}</Router>);
  await screen.findByTestId("schedules-table");
}

describe("schedules page", () => {
  it("shows timing, next runs and last runs with their states", async () => {
    await renderAs("admin");
    expect(screen.getByText("30 2 * * * (Europe/Berlin)")).toBeTruthy();
    expect(screen.getByText("default:42")).toBeTruthy();
    expect(screen.getByText("completed")).toBeTruthy();
    expect(screen.getByText("gone")).toBeTruthy();
    expect(screen.getByText(/by hand/)).toBeTruthy();
    for (const name of ["Pause", "Trigger", "Delete"])
      expect(screen.getByRole("button", { name })).toBeTruthy();
  });

  it("hides writes from a read key and delete from a submit key", async () => {
    await renderAs("read");
    expect(screen.queryAllByRole("button")).toHaveLength(0);
    expect(screen.queryByTestId("schedule-form")).toBeNull();
    document.body.innerHTML = "";
    await renderAs("submit");
    expect(screen.getByRole("button", { name: "Trigger" })).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Delete" })).toBeNull();
  });

  it("triggers a schedule, and shows the API's field error from the form", async () => {
    await renderAs("submit");
    fireEvent.click(screen.getByRole("button", { name: "Trigger" }));
    await waitFor(() =>
      expect(answers.posted.map((p) => p.url)).toContain("/v1/schedules/default/nightly/trigger"),
    );
    answers.createAnswer = {
      status: 422,
      body: {
        error: {
          code: "validation_failed",
          message: "cron: is not a valid cron expression",
          issues: [{ path: "cron", message: "is not a valid cron expression" }],
        },
      },
    };
    const form = screen.getByTestId("schedule-form") as HTMLFormElement;
    (form.elements.namedItem("type") as HTMLInputElement).value = "report";
    (form.elements.namedItem("cron") as HTMLInputElement).value = "0 25 * * *";
    fireEvent.submit(form);
    expect((await screen.findByRole("alert")).textContent).toBe("cron: is not a valid cron expression");
    expect(answers.posted.find((p) => p.url === "/v1/schedules")?.body).toMatchObject({
      queue: "default",
      cron: "0 25 * * *",
      job: { type: "report", payload: {} },
      misfire: "runOnce",
      overlap: "allow",
    });
  });
});

describe("schedule form", () => {
  it("shows the cron fields again once a created interval schedule resets it", async () => {
    await renderAs("submit");
    answers.createAnswer = { status: 201, body: { ...schedule, cron: null, everyMs: 5_000 } };
    const form = screen.getByTestId("schedule-form") as HTMLFormElement;
    const timing = form.elements.namedItem("timing") as HTMLSelectElement;
    timing.value = "every";
    fireEvent.change(timing);
    await waitFor(() => expect(form.elements.namedItem("everySeconds")).not.toBeNull());
    (form.elements.namedItem("type") as HTMLInputElement).value = "report";
    fireEvent.submit(form);
    await waitFor(() =>
      expect(
        answers.posted.some((p) => p.url === "/v1/schedules" && (p.body as { everyMs?: number }).everyMs),
      ).toBe(true),
    );
    await waitFor(() => expect(form.elements.namedItem("cron")).not.toBeNull());
    expect(timing.value).toBe("cron");
  });
});

describe("scheduleInputOf", () => {
  const base = {
    id: "",
    queue: "",
    timing: "every" as const,
    cron: "",
    timezone: "",
    everySeconds: "90",
    type: "t",
    payload: '{"a":1}',
    misfire: "skip" as const,
    overlap: "allow" as const,
  };
  it("builds an interval schedule and names a payload that is not JSON", () => {
    expect(scheduleInputOf(base)).toEqual({
      input: {
        queue: "default",
        everyMs: 90_000,
        job: { type: "t", payload: { a: 1 } },
        misfire: "skip",
        overlap: "allow",
      },
    });
    expect(scheduleInputOf({ ...base, payload: "{nope" })).toEqual({ problem: "job.payload: must be JSON" });
  });
});
