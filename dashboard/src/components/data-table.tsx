/**
 * The dashboard's table markup, written once: the scrolling wrapper, the header
 * row from a list of columns, and one body row per item, which the page draws
 * (its `<tr>` carries the page's own data attributes and cells). A column given
 * as `false` is left out, so a column shown to some viewers only (the admin's
 * buttons, the selection checkboxes) is one expression in the list.
 */
import { type Accessor, For, type JSX } from "solid-js";

/** A header cell: its text, or its content and class ("num" right-aligns it over numbers). */
export type Column = string | { label?: JSX.Element; class?: string };

/** The header of a numeric column. */
export const num = (label: string): Column => ({ label, class: "num" });

/** The header, left blank, of a column of row buttons. */
export const ACTIONS: Column = {};

export interface DataTableProps<T> {
  testId: string;
  /** Classes besides `table`. */
  class?: string;
  columns: readonly (Column | false)[];
  rows: readonly T[];
  children: (row: T, index: Accessor<number>) => JSX.Element;
}

export function DataTable<T>(props: DataTableProps<T>) {
  const columns = () => props.columns.filter((column): column is Column => column !== false);
  return (
    <div class="table-wrap">
      <table class={props.class ? `table ${props.class}` : "table"} data-testid={props.testId}>
        <thead>
          <tr>
            <For each={columns()}>
              {(column) =>
                typeof column === "string" ? <th>{column}</th> : <th class={column.class}>{column.label}</th>
              }
            </For>
          </tr>
        </thead>
        <tbody>
          <For each={props.rows}>{(row, index) => props.children(row, index)}</For>
        </tbody>
      </table>
    </div>
  );
}
