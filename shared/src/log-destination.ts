/**
 * `@rqueue/shared/log-destination`: where the control plane's and the worker's
 * pino logs go, so both write the same lines. A subpath of its own and Node only:
 * the engine's entry and the browser contract never load pino.
 */
import { createRequire } from "node:module";
import { type DestinationStream, pino } from "pino";
import type PinoPretty from "pino-pretty";

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
