import type { Job } from "@rqueue/shared/contract";
import { Router } from "@solidjs/router";
import { fireEvent, render, screen } from "@solidjs/testing-library";
import { describe, expect, it, vi } from "vitest";
import { JobsTable } from "./jobs-table.js";

const now = Date.parse("2026-12-01T12:00:00Z");
const job = (seq: number, overrides: Partial<Job> = {}): Job =>
  ({
    id: `default:${seq}`,
    queue: "default",
    type: "email.send",
    state: "processing",
    priority: 5,
    attempts: 1,
    maxAttempts: 3,
    progress: { percent: 40 },
    createdAt: new Date(now - 3 * 60_000).toISOString(),
    startedAt: new Date(now - 5_000).toISOString(),
    finishedAt: null,
    ...overrides,
  }) as Job;

function renderTable(rows: Job[], selectable = true) {
  const onToggle = vi.fn();
  const onToggleAll = vi.fn();
  render(() => (
    <Router>
      {[
        {
          path: "*",
          component: () => (
            <JobsTable
              rows={rows}
              selected={new Set(["default:2"])}
              selectable={selectable}
              now={now}
              onToggle={onToggle}
              onToggleAll={onToggleAll}
            />
          ),
        },
      ]}
    </Router>
  ));
  return { onToggle, onToggleAll };
}

describe("JobsTable", () => {
  it("shows each job with its state badge, progress, attempts and relative times", () => {
    renderTable([
      job(1),
      job(2, { state: "completed", progress: null, finishedAt: new Date(now - 1000).toISOString() }),
    ]);
    const first = screen.getByText("default:1").closest("tr") as HTMLElement;
    expect(first.querySelector(".badge")?.textContent).toBe("processing");
    expect(first.querySelector('[role="progressbar"]')?.getAttribute("aria-valuenow")).toBe("40");
    expect(first.textContent).toContain("1/3");
    expect(first.textContent).toContain("3 m ago");
    expect(first.textContent).toContain("5 s ago");
    const second = screen.getByText("default:2").closest("tr") as HTMLElement;
    expect(second.classList.contains("selected")).toBe(true);
    expect(second.querySelector('[role="progressbar"]')?.getAttribute("aria-valuenow")).toBe("100");
    expect(screen.getByText("default:1").getAttribute("href")).toBe("/jobs/default%3A1");
  });

  it("reports clicks with their row index and whether shift was held, and select-all", () => {
    const { onToggle, onToggleAll } = renderTable([job(1), job(2), job(3)]);
    fireEvent.click(screen.getByLabelText("Select default:1"));
    fireEvent.click(screen.getByLabelText("Select default:3"), { shiftKey: true });
    expect(onToggle.mock.calls).toEqual([
      ["default:1", 0, false],
      ["default:3", 2, true],
    ]);
    fireEvent.click(screen.getByLabelText("Select all on this page"));
    expect(onToggleAll).toHaveBeenCalledWith(true);
  });

  it("has no selection controls when the viewer may not act", () => {
    renderTable([job(1)], false);
    expect(screen.queryAllByRole("checkbox")).toHaveLength(0);
  });
});
