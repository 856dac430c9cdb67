/**
 * The process logger: pino, in the worker's format (`level` as a name, ISO
 * `time`, `msg`, fields). JSON lines off a terminal (CloudWatch, pipes, tests);
 * pretty-printed by pino-pretty when stdout is a terminal (`make dev`). Request
 * logs carry ids, routes, statuses and key names only; payloads, tokens and
 * passwords never reach a log line, and the redaction paths are a safety net
 * should a caller pass them by mistake: at the top of a line and on a logged
 * error, including the arguments ioredis attaches to a reply error (`command.args`:
 * an add's payloads). Named paths, not wildcards: `*.payload` and its kind cost
 * pino's redaction 3 µs a line, more than the rest of an access log line.
 */
import { logDestination } from "@rqueue/shared/log-destination";
import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger };

const SECRET_FIELDS = ["authorization", "password", "payload"];

export function createLogger(level: string, destination?: NodeJS.WritableStream | DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "control-plane" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [...SECRET_FIELDS, ...SECRET_FIELDS.map((field) => `err.${field}`), "err.command.args"],
        censor: "[redacted]",
      },
    },
    destination ?? logDestination(),
  );
}
