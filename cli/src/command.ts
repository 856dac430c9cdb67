/**
 * What a command of `rq` is: its usage line, its options (node:util parseArgs
 * descriptors), how many positional arguments it takes, and the function that
 * runs it with a ready API client. Also the small argument checks commands share.
 */
import type { ParseArgsConfig } from "node:util";
import type { ApiClient } from "@rqueue/shared/client";
import { type ExitCode, UsageError } from "./exit-codes.js";
import type { Output } from "./output.js";

export type OptionSpecs = NonNullable<ParseArgsConfig["options"]>;
export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface CommandContext {
  client: ApiClient;
  args: string[];
  options: OptionValues;
  out: Output;
  /** Reads all of stdin (for a payload given as `-`). */
  readStdin(): Promise<string>;
  /** Aborted on SIGINT/SIGTERM: long-running commands (wait, tail) end cleanly. */
  signal: AbortSignal;
}

export interface Command {
  /** e.g. `submit <type> [payload]`. */
  usage: string;
  summary: string;
  /** One line per option, as shown by `rq <command> --help`. */
  help?: string[];
  options?: OptionSpecs;
  /** Positional arguments: [fewest, most]. */
  arity: [number, number];
  run(ctx: CommandContext): Promise<ExitCode>;
}

export function stringOption(options: OptionValues, name: string): string | undefined {
  const value = options[name];
  return typeof value === "string" ? value : undefined;
}

/** An integer option within bounds, or undefined when not given. */
export function intOption(options: OptionValues, name: string, min: number, max: number): number | undefined {
  const text = stringOption(options, name);
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(
      `--${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(text)})`,
    );
  }
  return Number(text);
}

export function requiredOption(options: OptionValues, name: string): string {
  const value = stringOption(options, name);
  if (value === undefined || value === "") throw new UsageError(`--${name} is required`);
  return value;
}

export function parseJsonArgument(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${what} is not JSON: ${(error as Error).message}`);
  }
}

/** `a,b, c` as ["a","b","c"]. */
export const listOption = (options: OptionValues, name: string): string[] | undefined =>
  stringOption(options, name)
    ?.split(",")
    .map((item) => item.trim())
    .filter(Boolean);
