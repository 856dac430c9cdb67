/**
 * The worker's and supervisor's log: pino, the control plane's format too. JSON
 * lines (`level` as a name, ISO `time`, `msg`, fields) for CloudWatch and any
 * pipe; pretty-printed by pino-pretty when stdout is a terminal (`make dev`).
 * Writes are synchronous, so the line before a process.exit is never lost.
 * Errors are reduced to their message and code, so a log line never carries a
 * payload by accident.
 */
import { logDestination } from "@rqueue/shared/log-destination";
import { type DestinationStream, pino } from "pino";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export function describeError(error: unknown): { error: string; code?: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { error: error.message || error.name, ...(typeof code === "string" ? { code } : {}) };
  }
  return { error: String(error) };
}

export interface LoggerOptions {
  level?: LogLevel;
  destination?: DestinationStream;
}

export function createLogger(base: LogFields, options: LoggerOptions = {}): Logger {
  const log = pino(
    {
      level: options.level ?? "info",
      base,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? logDestination(),
  );
  return {
    debug: (message, fields) => log.debug(fields ?? {}, message),
    info: (message, fields) => log.info(fields ?? {}, message),
    warn: (message, fields) => log.warn(fields ?? {}, message),
    error: (message, fields) => log.error(fields ?? {}, message),
  };
}
