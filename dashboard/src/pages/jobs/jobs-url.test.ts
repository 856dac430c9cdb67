import { describe, expect, it } from "vitest";
import { nextPage, pageNumber, parseJobsView, previousPage, toJobsParams, withFilters } from "./jobs-url.js";

describe("jobs URL state", () => {
  it("reads filters from the URL and falls back on defaults for missing or bad values", () => {
    expect(parseJobsView({})).toEqual({
      queue: "default",
      state: "pending",
      type: undefined,
      priority: undefined,
      limit: 50,
      cursor: undefined,
      back: [],
    });
    expect(
      parseJobsView({ queue: "emails", state: "failed", type: "send", priority: "8", limit: "20" }),
    ).toMatchObject({
      queue: "emails",
      state: "failed",
      type: "send",
      priority: 8,
      limit: 20,
    });
    expect(parseJobsView({ state: "exploded", priority: "11", limit: "5000" })).toMatchObject({
      state: "pending",
      priority: undefined,
      limit: 50,
    });
  });

  it("round-trips through search params, leaving defaults out", () => {
    const view = parseJobsView({
      queue: "emails",
      state: "completed",
      limit: "100",
      cursor: "abc",
      back: "-,xyz",
    });
    expect(toJobsParams(view)).toEqual({
      queue: "emails",
      state: "completed",
      type: undefined,
      priority: undefined,
      limit: "100",
      cursor: "abc",
      back: "-,xyz",
    });
    expect(parseJobsView(toJobsParams(view) as Record<string, string>)).toEqual(view);
    expect(toJobsParams(parseJobsView({}))).toMatchObject({
      queue: undefined,
      limit: undefined,
      back: undefined,
    });
  });

  it("pages forward and back with the cursors kept in the URL, and a filter change starts over", () => {
    const first = parseJobsView({ state: "completed" });
    const second = nextPage(first, "c2");
    const third = nextPage(second, "c3");
    expect([pageNumber(first), pageNumber(second), pageNumber(third)]).toEqual([1, 2, 3]);
    expect(third).toMatchObject({ cursor: "c3", back: ["-", "c2"] });
    expect(previousPage(third)).toEqual(second);
    expect(previousPage(previousPage(third))).toEqual(first);
    expect(previousPage(first)).toEqual(first);
    expect(withFilters(third, { type: "send" })).toMatchObject({ type: "send", cursor: undefined, back: [] });
  });
});
