/**
 * How `rq` prints: with `--json` one JSON document per result on stdout (one
 * line each for streams), otherwise short human lines and aligned tables.
 * Errors always go to stderr, as `rq: <message>` or, with `--json`, the API's
 * own error shape {error:{code,message,issues?}}.
 */
import { ApiRequestError } from "@rqueue/shared/client";
import { UsageError } from "./exit-codes.js";

export interface Output {
  json: boolean;
  write(text: string): void;
  writeError(text: string): void;
}

export function printJson(out: Output, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Columns padded to their widest cell; the last column is not padded. */
export function printTable(out: Output, header: string[], rows: string[][]): void {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? "").length)));
  for (const row of all) {
    const cells = row.map((cell, column) =>
      column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0),
    );
    out.write(`${cells.join("  ").trimEnd()}\n`);
  }
}

/** `key: value` lines, skipping empty values; objects are printed as compact JSON. */
export function printFields(out: Output, fields: [string, unknown][]): void {
  const shown = fields.filter(([, value]) => value !== null && value !== undefined && value !== "");
  const width = Math.max(...shown.map(([key]) => key.length));
  for (const [key, value] of shown) {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    out.write(`${`${key}:`.padEnd(width + 2)}${text}\n`);
  }
}

export function printError(out: Output, error: unknown): void {
  if (error instanceof ApiRequestError) {
    if (out.json) {
      const issues = error.issues.length > 0 ? { issues: error.issues } : {};
      out.writeError(
        `${JSON.stringify({ error: { code: error.code, message: error.message, ...issues } })}\n`,
      );
      return;
    }
    const where = error.status === 0 ? "" : ` (${error.status} ${error.code})`;
    out.writeError(`rq: ${error.message}${where}\n`);
    for (const issue of error.issues) out.writeError(`  ${issue.path || "(input)"}: ${issue.message}\n`);
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof UsageError ? "usage" : "cli_error";
  if (out.json) out.writeError(`${JSON.stringify({ error: { code, message } })}\n`);
  else out.writeError(`rq: ${message}\n`);
}
