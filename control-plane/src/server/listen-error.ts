/**
 * What the control plane says about where it listens: the start line (loopback
 * only while the API is open, and how to change it), and the one-line answer when
 * it cannot listen: a busy port or an address it may not bind is a setup problem
 * with an obvious fix, so it names the setting to change instead of a stack trace.
 */
export class ListenError extends Error {}

export function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `${host}:${port}`;
  if (error.code === "EADDRINUSE") {
    return new ListenError(
      `port ${port} is already in use on ${host} (another control plane or make dev?): stop it or set PORT to a free port`,
    );
  }
  if (error.code === "EACCES") {
    return new ListenError(
      `not allowed to listen on ${where}: use a PORT above 1023 or run with the right to bind it`,
    );
  }
  if (error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND") {
    return new ListenError(`cannot listen on ${where}: HOST is not an address of this machine`);
  }
  return error;
}

/** The start line: the URL, and who can reach it. */
export function listeningLine(url: string, host: string, open: boolean): string {
  if (host === "127.0.0.1" && open) {
    return `control plane listening on ${url} (loopback only while the API is open: set HOST=0.0.0.0 to listen on every interface)`;
  }
  return `control plane listening on ${url}${host === "0.0.0.0" ? " (every interface)" : ""}`;
}
