/**
 * The process logger: pino, in the worker's format (`level` as a name, ISO
 * `time`, `msg`, fields). JSON lines off a terminal (CloudWatch, pipes, tests);
 * pretty-printed by pino-pretty when stdout is a terminal (`make dev`). Request
 * logs carry ids, routes, statuses and key names only; payloads, tokens and
 * passwords never reach a log line, and the redaction paths are a safety net
 * should a caller pass them by mistake.
 */
import { logDestination } from "@rqueue/shared/log-destination";
import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger };

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
