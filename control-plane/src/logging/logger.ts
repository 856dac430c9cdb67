/**
 * The process logger: pino, in the worker's format (`level` as a name, ISO
 * `time`, `msg`, fields). JSON lines off a terminal (CloudWatch, pipes, tests);
 * pretty-printed by pino-pretty when stdout is a terminal (`make dev`). Request
 * logs carry ids, routes, statuses and key names only; payloads, tokens and
 * passwords never reach a log line, and the redaction paths are a safety net
 * should a caller pass them by mistake.
 */
import { createRequire } from "node:module";
import { type DestinationStream, type Logger, pino } from "pino";
import type PinoPretty from "pino-pretty";

export type { Logger };

/** Pretty lines for a terminal, JSON lines otherwise; synchronous, to stdout unless `dest` (fd or path) says. */
export function logDestination(
  terminal = process.stdout.isTTY === true,
  dest: number | string = 1,
): DestinationStream {
  if (terminal) {
    // Loaded only for a terminal: it costs a process start a few hundred milliseconds.
    const pretty = createRequire(import.meta.url)("pino-pretty") as typeof PinoPretty;
    return pretty({
      colorize: dest === 1,
      sync: true,
      destination: dest,
      translateTime: "SYS:HH:MM:ss.l",
      ignore: "pid,hostname",
    });
  }
  return pino.destination({ dest, sync: true });
}

export function createLogger(level: string, destination?: NodeJS.WritableStream | DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "control-plane" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: ["authorization", "*.authorization", "password", "*.password", "payload", "*.payload"],
        censor: "[redacted]",
      },
    },
    destination ?? logDestination(),
  );
}
