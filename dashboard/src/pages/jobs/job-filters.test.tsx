import { fireEvent, render } from "@solidjs/testing-library";
import { describe, expect, it, vi } from "vitest";
import { JobFilters } from "./job-filters.js";
import { parseJobsView } from "./jobs-url.js";

describe("JobFilters", () => {
  it("shows the view's filters and reports each change", () => {
    const onChange = vi.fn();
    const view = parseJobsView({
      queue: "emails",
      state: "failed",
      type: "send",
      priority: "7",
      limit: "20",
    });
    const { container } = render(() => (
      <JobFilters view={view} queues={["default", "emails"]} types={["send", "render"]} onChange={onChange} />
    ));
    const select = (name: string) => container.querySelector(`select[name="${name}"]`) as HTMLSelectElement;
    expect(select("queue").value).toBe("emails");
    expect(select("state").value).toBe("failed");
    expect(select("type").value).toBe("send");
    expect(select("priority").value).toBe("7");
    expect(select("limit").value).toBe("20");

    fireEvent.change(select("state"), { target: { value: "completed" } });
    fireEvent.change(select("priority"), { target: { value: "" } });
    fireEvent.change(select("queue"), { target: { value: "default" } });
    expect(onChange.mock.calls).toEqual([
      [{ state: "completed" }],
      [{ priority: undefined }],
      [{ queue: "default", type: undefined }],
    ]);
  });

  it("keeps a type from the URL selectable even when the queue has not listed it yet", () => {
    const view = parseJobsView({ type: "rare" });
    const { container } = render(() => <JobFilters view={view} queues={[]} types={[]} onChange={() => {}} />);
    const type = container.querySelector('select[name="type"]') as HTMLSelectElement;
    expect([...type.options].map((option) => option.value)).toEqual(["", "rare"]);
    expect(type.value).toBe("rare");
  });
});
