import { fireEvent, render, screen } from "@solidjs/testing-library";
import { describe, expect, it } from "vitest";
import { JsonViewer } from "./json-viewer.js";

describe("JsonViewer", () => {
  it("shows a small value at once, pretty-printed", () => {
    render(() => <JsonViewer value={{ to: "ada", n: 1 }} label="payload" />);
    expect(screen.getByTestId("json-payload").textContent).toBe('{\n  "to": "ada",\n  "n": 1\n}');
  });

  it("keeps a 500 KiB payload collapsed, then shows one text block of its first 64 KiB, then all", () => {
    const payload = { rows: Array.from({ length: 5_000 }, (_, i) => ({ i, text: "x".repeat(90) })) };
    const { container } = render(() => <JsonViewer value={payload} label="payload" />);
    expect(screen.queryByTestId("json-payload")).toBeNull();
    const open = screen.getByRole("button", { name: /Show payload \(5\d\d KiB\)/ });

    fireEvent.click(open);
    const pre = screen.getByTestId("json-payload");
    // One element however large the value: no node per key to freeze the page.
    expect(container.querySelectorAll("pre")).toHaveLength(1);
    expect(pre.children).toHaveLength(0);
    expect(pre.textContent?.length).toBe(64 * 1024);

    fireEvent.click(screen.getByRole("button", { name: /Show all/ }));
    expect(screen.getByTestId("json-payload").textContent).toBe(JSON.stringify(payload, null, 2));
    fireEvent.click(screen.getByRole("button", { name: "Collapse" }));
    expect(screen.queryByTestId("json-payload")).toBeNull();
  });
});
