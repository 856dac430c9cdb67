/**
 * Stop signals, handled alike by the worker and the supervisor: the first
 * SIGTERM/SIGINT asks for a graceful stop, a later one forces an exit. A repeat
 * within DUPLICATE_WINDOW_MS is the same request delivered twice (a terminal's
 * Ctrl-C reaches this process and a parent such as `make dev`, which relays it)
 * and is ignored.
 */
const DUPLICATE_WINDOW_MS = 250;

export function onStopSignals(graceful: (signal: string) => void, forced: (signal: string) => void): void {
  let firstAt: number | undefined;
  const handle = (signal: string) => {
    if (firstAt === undefined) {
      firstAt = Date.now();
      graceful(signal);
    } else if (Date.now() - firstAt >= DUPLICATE_WINDOW_MS) {
      forced(signal);
    }
  };
  process.on("SIGTERM", () => handle("SIGTERM"));
  process.on("SIGINT", () => handle("SIGINT"));
}

/** The conventional exit code of a process ended by a signal: 128 + its number. */
export const exitCodeFor = (signal: string) => (signal === "SIGINT" ? 130 : 143);
