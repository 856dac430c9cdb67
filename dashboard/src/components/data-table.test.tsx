import { render, screen } from "@solidjs/testing-library";
import { createSignal } from "solid-js";
import { describe, expect, it } from "vitest";
import { ACTIONS, DataTable, num } from "./data-table.js";

describe("DataTable", () => {
  it("draws the header from the columns, leaves out a false one as it turns false, and a row per item", () => {
    const [admin, setAdmin] = createSignal(true);
    const [rows, setRows] = createSignal(["a", "b"]);
    render(() => (
      <DataTable testId="t" class="extra" columns={["Name", num("Count"), admin() && ACTIONS]} rows={rows()}>
        {(row, index) => (
          <tr>
            <td>{row}</td>
            <td class="num">{index()}</td>
          </tr>
        )}
      </DataTable>
    ));
    const table = screen.getByTestId("t");
    const headers = () => [...table.querySelectorAll("th")].map((th) => [th.textContent, th.className]);
    expect(table.className).toBe("table extra");
    expect(table.parentElement?.className).toBe("table-wrap");
    expect(headers()).toEqual([
      ["Name", ""],
      ["Count", "num"],
      ["", ""],
    ]);
    setAdmin(false);
    expect(headers()).toEqual([
      ["Name", ""],
      ["Count", "num"],
    ]);
    setRows(["c", "a", "b"]);
    expect([...table.querySelectorAll("tbody tr")].map((tr) => tr.textContent)).toEqual(["c0", "a1", "b2"]);
  });
});
