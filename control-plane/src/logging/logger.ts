/**
 * The process logger: pino JSON lines. Request logs carry ids, routes, statuses and
 * key names only; payloads, tokens and passwords never reach a log line, and the
 * redaction paths are a safety net should a caller pass them by mistake.
 */
import { type Logger, pino } from "pino";

export type { Logger };

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: "control-plane" },
      redact: {
        paths: ["authorization", "*.authorization", "password", "*.password", "payload", "*.payload"],
        censor: "[redacted]",
      },
    },
    destination ?? process.stdout,
  );
}
