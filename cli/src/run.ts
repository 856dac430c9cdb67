/**
 * `rq`'s command line: finds the command, parses its options with node:util
 * parseArgs (strict: an unknown option is a usage error), builds the API
 * client from RQ_URL / --url and RQ_API_KEY, runs the command and turns what
 * happened into an exit code. Kept free of process globals so tests and the
 * binary share it.
 */
import { parseArgs } from "node:util";
import { ApiClient, ApiRequestError } from "@rqueue/shared/client";
import type { Command, CommandContext, OptionSpecs } from "./command.js";
import { cancel, get, list, retry, submit, wait } from "./commands/job-commands.js";
import { dlq, pause, queues, resume, workers } from "./commands/queue-commands.js";
import { type StreamTarget, tailCommand } from "./commands/tail.js";
import { EXIT, type ExitCode, exitCodeFor, UsageError } from "./exit-codes.js";
import { type Output, printError } from "./output.js";

export const DEFAULT_URL = "http://127.0.0.1:8080";

export interface RunEnvironment {
  env: Record<string, string | undefined>;
  out: Output;
  readStdin(): Promise<string>;
  signal: AbortSignal;
  version: string;
}

const GLOBAL_OPTIONS: OptionSpecs = {
  json: { type: "boolean" },
  url: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
};

function commandTable(target: () => StreamTarget): Record<string, Command> {
  return {
    submit,
    get,
    list,
    wait,
    tail: tailCommand(target),
    retry,
    cancel,
    dlq,
    pause,
    resume,
    queues,
    workers,
  };
}

function usage(commands: Record<string, Command>): string {
  const width = Math.max(...Object.values(commands).map((command) => command.usage.length));
  return [
    "usage: rq <command> [arguments] [options]",
    "",
    ...Object.values(commands).map((command) => `  rq ${command.usage.padEnd(width)}  ${command.summary}`),
    "",
    "options of every command:",
    "  --json        print JSON (one document, or one line per event for tail)",
    `  --url <url>   the control plane (default: $RQ_URL, else ${DEFAULT_URL})`,
    "  -h, --help    this help, or a command's: rq <command> --help",
    "environment: RQ_URL, RQ_API_KEY (sent as Authorization: Bearer <key>)",
    "exit codes: 0 ok, 1 usage, 2 API error, 3 not found, 4 job not completed (wait), 5 API unreachable",
    "",
  ].join("\n");
}

function commandUsage(command: Command): string {
  return [
    `usage: rq ${command.usage} [--json] [--url <url>]`,
    `  ${command.summary}`,
    ...(command.help ?? []).map((line) => `  ${line}`),
    "",
  ].join("\n");
}

/** The first positional argument is the command; global options may come before it. */
function findCommand(argv: string[]): { name: string | undefined; rest: string[] } {
  const { tokens } = parseArgs({
    args: argv,
    options: GLOBAL_OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const first = tokens.find((token) => token.kind === "positional");
  if (!first) return { name: undefined, rest: argv };
  return { name: first.value, rest: [...argv.slice(0, first.index), ...argv.slice(first.index + 1)] };
}

export async function run(argv: string[], environment: RunEnvironment): Promise<ExitCode> {
  const { out, env } = environment;
  let target: StreamTarget = { baseUrl: DEFAULT_URL, apiKey: null };
  const commands = commandTable(() => target);
  const { name, rest } = findCommand(argv);
  const wantsJson = rest.includes("--json");
  out.json = wantsJson;
  try {
    if (name === undefined) {
      if (rest.includes("--version")) {
        out.write(`${environment.version}\n`);
        return EXIT.ok;
      }
      if (rest.includes("--help") || rest.includes("-h")) {
        out.write(usage(commands));
        return EXIT.ok;
      }
      out.writeError(usage(commands));
      return EXIT.usage;
    }
    if (name === "help") {
      const topic = findCommand(rest).name;
      const command = topic === undefined ? undefined : commands[topic];
      if (topic !== undefined && !command) throw new UsageError(`unknown command ${JSON.stringify(topic)}`);
      out.write(command ? commandUsage(command) : usage(commands));
      return EXIT.ok;
    }
    const command = commands[name];
    if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)}; rq --help lists them`);
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({
        args: rest,
        options: { ...GLOBAL_OPTIONS, ...command.options },
        strict: true,
        allowPositionals: true,
      });
    } catch (error) {
      throw new UsageError(`${(error as Error).message.split("\n")[0]}\n${commandUsage(command)}`);
    }
    const options = parsed.values as CommandContext["options"];
    if (options.help) {
      out.write(commandUsage(command));
      return EXIT.ok;
    }
    const [fewest, most] = command.arity;
    if (parsed.positionals.length < fewest || parsed.positionals.length > most) {
      throw new UsageError(`wrong number of arguments\n${commandUsage(command)}`);
    }
    const baseUrl = (typeof options.url === "string" ? options.url : env.RQ_URL || DEFAULT_URL).replace(
      /\/+$/,
      "",
    );
    if (!/^https?:\/\/[^/]/.test(baseUrl))
      throw new UsageError(`the URL must be http(s)://... (got ${JSON.stringify(baseUrl)})`);
    const apiKey = env.RQ_API_KEY || null;
    target = { baseUrl, apiKey };
    const client = new ApiClient({ baseUrl, apiKey });
    return await command.run({
      client,
      args: parsed.positionals,
      options,
      out,
      readStdin: environment.readStdin,
      signal: environment.signal,
    });
  } catch (error) {
    const unreachable = error instanceof ApiRequestError && error.status === 0;
    printError(
      out,
      unreachable
        ? new ApiRequestError(
            0,
            "unreachable",
            `cannot reach the API at ${target.baseUrl} (set RQ_URL or --url)`,
          )
        : error,
    );
    return exitCodeFor(error);
  }
}
