/**
 * The bench's three outputs from one set of results: the aligned text table printed
 * at the end of a run, the Markdown table README's Benchmarks section is pasted
 * from, and `--json` (one object per line: scenario, system, figures, settings).
 * Pure functions of their input, so they are tested without a Redis.
 */
import { ratio } from "./stats.js";

export const RQUEUE = "R-queue";

export type Unit = "jobs/s" | "req/s" | "ms" | "µs" | "bytes" | "%" | "starts";

/** A goal for one row: R-queue's value against another system's (`versus`), or absolute. */
export interface Target {
  versus?: string;
  atLeast?: number;
  atMost?: number;
}

export interface TableRow {
  label: string;
  unit: Unit;
  /** Median per system; a system without the feature has no entry. */
  values: Record<string, number>;
  targets?: Target[];
}

/** One measured figure set, as `--json` prints it. */
export interface ResultLine {
  scenario: string;
  system: string;
  figures: Record<string, number>;
  settings: Record<string, unknown>;
}

export interface RunInfo {
  date: string;
  cores: number;
  cpu: string;
  redisVersion: string;
  node: string;
  rounds: string;
  /** Settings that differ from each system's defaults, by system. */
  nonDefault: Record<string, string[]>;
  notes: string[];
}

export function formatValue(value: number | undefined, unit: Unit): string {
  if (value === undefined || !Number.isFinite(value)) return "—";
  switch (unit) {
    case "jobs/s":
    case "req/s":
      return value >= 10_000
        ? `${(value / 1000).toFixed(1)}k`
        : value >= 1000
          ? `${(value / 1000).toFixed(2)}k`
          : value.toFixed(0);
    case "ms":
      return value < 10 ? value.toFixed(2) : value.toFixed(1);
    case "µs":
    case "bytes":
      return value.toFixed(1);
    case "%":
      return `${value.toFixed(0)}%`;
    case "starts":
      return value.toFixed(0);
  }
}

export function formatRatio(value: number | undefined): string {
  return value === undefined ? "—" : `${value.toFixed(2)}×`;
}

function describeTarget(target: Target, unit: Unit): string {
  const bound =
    target.atLeast !== undefined
      ? `≥ ${target.versus ? `${target.atLeast}×` : `${formatValue(target.atLeast, unit)} ${unit}`}`
      : `≤ ${target.versus ? `${target.atMost}×` : `${formatValue(target.atMost, unit)} ${unit}`}`;
  return target.versus ? `${bound} ${shortName(target.versus)}` : bound;
}

/** Whether R-queue's value meets the target; undefined when it cannot be judged (a value is missing). */
export function targetMet(row: TableRow, target: Target): boolean | undefined {
  const ours = row.values[RQUEUE];
  const compared = target.versus ? ratio(ours, row.values[target.versus]) : ours;
  if (compared === undefined) return undefined;
  if (target.atLeast !== undefined && compared < target.atLeast) return false;
  if (target.atMost !== undefined && compared > target.atMost) return false;
  return true;
}

const shortName = (system: string) => system.split(" ")[0] ?? system;

function cells(row: TableRow, systems: readonly string[]): string[] {
  const others = systems.filter((s) => s !== RQUEUE);
  const ratios = others
    .map((other) => ({ other, value: ratio(row.values[RQUEUE], row.values[other]) }))
    .filter((r) => r.value !== undefined)
    .map((r) => `${formatRatio(r.value)} ${shortName(r.other)}`);
  const targets = row.targets ?? [];
  const met = targets.map((t) => targetMet(row, t));
  return [
    `${row.label} (${row.unit})`,
    ...systems.map((system) => formatValue(row.values[system], row.unit)),
    ratios.join(", ") || "—",
    targets.map((t) => describeTarget(t, row.unit)).join(", ") || "",
    met.length === 0 ? "" : met.includes(false) ? "no" : met.includes(undefined) ? "?" : "yes",
  ];
}

function header(systems: readonly string[]): string[] {
  return ["figure", ...systems, "ratio (R-queue ÷)", "target", "met"];
}

export function textTable(rows: readonly TableRow[], systems: readonly string[]): string {
  const lines = [header(systems), ...rows.map((row) => cells(row, systems))];
  const widths = lines[0]?.map((_, col) => Math.max(...lines.map((line) => (line[col] ?? "").length))) ?? [];
  return lines
    .map((line) =>
      line
        .map((cell, col) => (col === 0 ? cell.padEnd(widths[col] ?? 0) : cell.padStart(widths[col] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function runSummary(info: RunInfo): string {
  return `${info.date}, ${info.cores} cores (${info.cpu}), Redis ${info.redisVersion}, Node ${info.node}, ${info.rounds}.`;
}

export function markdownTable(rows: readonly TableRow[], systems: readonly string[], info: RunInfo): string {
  const escapeCell = (cell: string) => cell.replaceAll("|", "\\|");
  const lines = [header(systems), ...rows.map((row) => cells(row, systems))];
  const escaped = lines.map((line) => line.map(escapeCell));
  // Padded as the repository's formatter (Biome) lays out Markdown tables, so a paste stays as it is.
  const widths =
    escaped[0]?.map((_, col) => Math.max(3, ...escaped.map((line) => (line[col] ?? "").length))) ?? [];
  const pad = (cell: string, col: number) =>
    col === 0 ? cell.padEnd(widths[col] ?? 0) : cell.padStart(widths[col] ?? 0);
  const table = escaped.map((line) => `| ${line.map(pad).join(" | ")} |`);
  const rule = widths.map((width, col) => (col === 0 ? "-".repeat(width) : `${"-".repeat(width - 1)}:`));
  table.splice(1, 0, `| ${rule.join(" | ")} |`);
  const settings = Object.entries(info.nonDefault)
    .filter(([, list]) => list.length > 0)
    .map(([system, list]) => `- ${system}: ${list.join("; ")}`);
  return [
    `Measured ${runSummary(info)}`,
    "",
    ...table,
    "",
    ...(settings.length > 0
      ? ["Settings that differ from each system's defaults:", "", ...settings, ""]
      : []),
    ...info.notes.map((note) => `- ${note}`),
  ]
    .join("\n")
    .trimEnd();
}

export function jsonLines(results: readonly ResultLine[]): string {
  return results.map((result) => JSON.stringify(result)).join("\n");
}
