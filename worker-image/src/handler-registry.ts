/**
 * The handler registry: finds every handler module of a folder (the built-in
 * `handlers/`, or RQ_HANDLERS_DIR: one file per job type, so adding a type is
 * adding a file) or takes definitions handed over by a program of one's own,
 * checks each definition, and derives the per-type settings the manager needs.
 * A bad definition stops the worker at start with the file and field named.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CircuitBreakerConfigSchema, JobTypeSchema, LIMITS } from "@rqueue/shared";
import * as v from "valibot";
import type { HandlerDefinition } from "./handler-definition.js";

export interface LoadedHandler {
  definition: HandlerDefinition;
  /** URL of the module, so a worker thread can load the same handler (`handler:<type>` when handed over in code). */
  moduleUrl: string;
}

export type HandlerRegistry = ReadonlyMap<string, LoadedHandler>;

export const HANDLERS_DIR = fileURLToPath(new URL("./handlers/", import.meta.url));

const integer = (min: number, max: number) =>
  v.pipe(
    v.number("must be a number"),
    v.integer("must be an integer"),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );

const DefinitionSchema = v.object({
  type: JobTypeSchema,
  payload: v.custom<v.GenericSchema>(
    (value) => typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "schema",
    "must be a valibot schema",
  ),
  handle: v.custom<HandlerDefinition["handle"]>((value) => typeof value === "function", "must be a function"),
  timeoutMs: v.optional(integer(1, LIMITS.maxTimeoutMs)),
  concurrency: v.optional(integer(1, 1_000)),
  retry: v.optional(v.strictObject({ maxAttempts: integer(1, 100) })),
  isolation: v.optional(v.picklist(["main", "thread"], "must be 'main' or 'thread'")),
  circuitBreaker: v.optional(
    v.union([v.literal(false), CircuitBreakerConfigSchema], "must be false or thresholds"),
  ),
});

const isHandlerModule = (file: string) =>
  /\.(ts|js|mjs)$/.test(file) && !/\.(test|d)\.(ts|js|mjs)$/.test(file) && !file.endsWith(".d.ts");

function checkDefinition(exported: unknown, source: string): HandlerDefinition {
  const parsed = v.safeParse(DefinitionSchema, exported);
  if (!parsed.success) {
    const problems = parsed.issues.map((issue) => {
      const path = (issue.path ?? []).map((item) => String(item.key)).join(".");
      return `${path || "default export"}: ${issue.message}`;
    });
    throw new Error(`handler ${source} is invalid: ${problems.join("; ")}`);
  }
  return exported as HandlerDefinition;
}

function add(registry: Map<string, LoadedHandler>, definition: HandlerDefinition, moduleUrl: string) {
  const clash = registry.get(definition.type);
  if (clash) {
    throw new Error(`job type "${definition.type}" is defined twice: ${clash.moduleUrl} and ${moduleUrl}`);
  }
  registry.set(definition.type, { definition, moduleUrl });
}

/** Loads every handler module of `dir`; each must default-export a definition. */
export async function loadHandlers(dir = HANDLERS_DIR): Promise<HandlerRegistry> {
  const registry = new Map<string, LoadedHandler>();
  let files: string[];
  try {
    files = readdirSync(dir).filter(isHandlerModule).sort();
  } catch (error) {
    throw new Error(`cannot read the handlers folder ${dir}: ${(error as Error).message}`);
  }
  for (const file of files) {
    const moduleUrl = pathToFileURL(join(dir, file)).href;
    const exported = ((await import(moduleUrl)) as { default?: unknown }).default;
    add(registry, checkDefinition(exported, file), moduleUrl);
  }
  if (registry.size === 0) throw new Error(`no job handlers found in ${dir}`);
  return registry;
}

/**
 * A registry of definitions a program holds itself (`startWorker(config, { handlers })`).
 * A thread-isolated handler is refused: the thread must import its module, so it
 * belongs in a handlers folder.
 */
export function registryOf(definitions: readonly HandlerDefinition[]): HandlerRegistry {
  const registry = new Map<string, LoadedHandler>();
  definitions.forEach((exported, index) => {
    const source = `#${index + 1}${typeof exported?.type === "string" ? ` (${exported.type})` : ""}`;
    const definition = checkDefinition(exported, source);
    if (definition.isolation === "thread") {
      throw new Error(
        `handler ${source} is invalid: isolation: "thread" loads the handler's module in a thread; put it in a handlers folder (handlersDir) instead`,
      );
    }
    add(registry, definition, `handler:${definition.type}`);
  });
  if (registry.size === 0) throw new Error("no job handlers given");
  return registry;
}

/** A per-type setting of the handlers that declare it. */
export function perType(
  registry: HandlerRegistry,
  pick: (definition: HandlerDefinition) => number | undefined,
): Record<string, number> | undefined {
  const entries = [...registry.values()].flatMap(({ definition }) => {
    const value = pick(definition);
    return value === undefined ? [] : [[definition.type, value] as const];
  });
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}
