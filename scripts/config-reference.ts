/**
 * docs/configuration.md, generated: every environment variable the control plane
 * and the worker read, with its default and limits taken from their valibot
 * schemas (what the processes actually enforce) and a sentence from DESCRIPTIONS.
 * `npm run docs:config` rewrites the file; scripts/test/config-reference.test.ts
 * fails when it is out of date or a variable has no description.
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { EnvSchema as ControlPlaneEnvSchema } from "../control-plane/src/config/config.js";
import { FleetEnvSchema } from "../control-plane/src/config/worker-fleet.js";
import { BlobEnvSchema } from "../shared/src/blobs/blob-config.js";
import { EnvSchema as WorkerEnvSchema } from "../worker-image/src/config.js";
import { DESCRIPTIONS, MACHINE_DEFAULTS } from "./config-descriptions.js";

export const REFERENCE_PATH = join(dirname(fileURLToPath(import.meta.url)), "..", "docs", "configuration.md");

interface Node {
  kind?: string;
  type?: string;
  pipe?: Node[];
  wrapped?: Node;
  default?: unknown;
  options?: unknown[];
  requirement?: unknown;
  message?: unknown;
}

interface Variable {
  name: string;
  default: string | undefined;
  min?: number;
  max?: number;
  options?: string[];
  whole?: boolean;
  rules: string[];
}

type EnvSchema = { entries: Record<string, unknown> };

function walk(node: Node, variable: Variable): void {
  if (node.pipe) {
    for (const item of node.pipe) {
      if (item === node) continue;
      if (item.kind === "schema") walk(item, variable);
      else if (item.type === "min_value") variable.min = Number(item.requirement);
      else if (item.type === "max_value") variable.max = Number(item.requirement);
      else if (typeof item.message === "string" && /whole number/.test(item.message)) variable.whole = true;
      else if (typeof item.message === "string") variable.rules.push(item.message);
    }
    return;
  }
  if (node.type === "optional") {
    const fallback = typeof node.default === "function" ? (node.default as () => unknown)() : node.default;
    if (fallback !== undefined) variable.default = String(fallback);
    if (node.wrapped) walk(node.wrapped, variable);
    return;
  }
  if (node.type === "picklist") variable.options = (node.options ?? []).map(String);
}

export function variablesOf(schema: EnvSchema): Variable[] {
  return Object.entries(schema.entries).map(([name, node]) => {
    const variable: Variable = { name, default: undefined, rules: [] };
    walk(node as Node, variable);
    return variable;
  });
}

const code = (text: string) => (text === "" ? '`""` (empty)' : `\`${text}\``);
const number = (n: number) => n.toLocaleString("en-US").replace(/,/g, "_");

function allowed(variable: Variable): string {
  if (variable.options)
    return `one of ${variable.options
      .filter((o) => o !== "")
      .map(code)
      .join(", ")}`;
  if (variable.min !== undefined || variable.max !== undefined) {
    return `whole number, ${number(variable.min ?? 0)} to ${variable.max === undefined ? "any" : number(variable.max)}`;
  }
  if (variable.whole) return "whole number";
  return variable.rules.length > 0 ? variable.rules.join("; ") : "text";
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** A Markdown table padded the way the repository's formatter (Biome) lays tables out, so the file stays lint-clean. */
function markdownTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((_, col) =>
    Math.max(3, ...[header, ...rows].map((row) => (row[col] ?? "").length)),
  );
  const line = (row: string[]) => `| ${row.map((c, col) => c.padEnd(widths[col] ?? 0)).join(" | ")} |`;
  return [line(header), `| ${widths.map((width) => "-".repeat(width)).join(" | ")} |`, ...rows.map(line)];
}

function table(title: string, intro: string, schemas: EnvSchema[]): string {
  const seen = new Set<string>();
  const rows = schemas
    .flatMap(variablesOf)
    .filter((variable) => !seen.has(variable.name) && seen.add(variable.name))
    .map((variable) => {
      const fallback =
        MACHINE_DEFAULTS[variable.name] ?? (variable.default === undefined ? "—" : code(variable.default));
      return [`\`${variable.name}\``, fallback, allowed(variable), DESCRIPTIONS[variable.name] ?? ""].map(
        cell,
      );
    });
  return [
    `## ${title}`,
    "",
    intro,
    "",
    ...markdownTable(["Variable", "Default", "Allowed", "What it does"], rows),
    "",
  ].join("\n");
}

export const SECTIONS: { title: string; intro: string; schemas: EnvSchema[] }[] = [
  {
    title: "Control plane",
    intro:
      "Read once at start by `control-plane/src/config/config.ts`; every problem is listed and the process exits 1.",
    schemas: [ControlPlaneEnvSchema, FleetEnvSchema, BlobEnvSchema],
  },
  {
    title: "Worker",
    intro:
      "Read once at start by `worker-image/src/config.ts` (`rqueue-worker`, and the supervisor with `--autoscale`).",
    schemas: [WorkerEnvSchema, BlobEnvSchema],
  },
];

/** Every variable of every section, for the description check. */
export function allVariableNames(): string[] {
  return [...new Set(SECTIONS.flatMap((section) => section.schemas.flatMap((s) => Object.keys(s.entries))))];
}

export function renderConfigReference(): string {
  return [
    "# Configuration reference",
    "",
    "<!-- Generated by `npm run docs:config` from the valibot schemas (scripts/config-reference.ts); do not edit. -->",
    "",
    "Every environment variable of the control plane and the worker, with its default and the values",
    "it accepts. An empty variable counts as unset. Sizes are bytes, durations milliseconds unless the",
    "name says otherwise.",
    "",
    ...SECTIONS.map((section) => table(section.title, section.intro, section.schemas)),
  ].join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(REFERENCE_PATH, renderConfigReference());
  process.stdout.write(`wrote ${REFERENCE_PATH}\n`);
}
