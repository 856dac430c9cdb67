/**
 * Structured log lines (one JSON object per line) for the worker and the
 * supervisor: what CloudWatch and `make dev` show. Info goes to stdout, warnings
 * and errors to stderr. Errors are reduced to their message and code, so a log
 * line never carries a payload by accident.
 */
export type LogLevel = "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
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

export function createLogger(base: LogFields): Logger {
  const write = (level: LogLevel, message: string, fields: LogFields = {}) => {
    const line = JSON.stringify({ t: new Date().toISOString(), level, msg: message, ...base, ...fields });
    (level === "info" ? process.stdout : process.stderr).write(`${line}\n`);
  };
  return {
    info: (message, fields) => write("info", message, fields),
    warn: (message, fields) => write("warn", message, fields),
    error: (message, fields) => write("error", message, fields),
  };
}
