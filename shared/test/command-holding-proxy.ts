/**
 * A loopback TCP proxy in front of a real redis-server that can hold commands back:
 * once armed, the first chunk a client sends that matches a pattern, and everything
 * sent on that connection after it, waits in the proxy until release() — as if the
 * server froze right after the command left the client. Replies flow as usual.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

export interface CommandHoldingProxy {
  url: string;
  /** Holds the next chunk matching `pattern` (and its connection's later chunks). */
  holdNext(pattern: RegExp): void;
  /** Resolves once a chunk is held. */
  held(): Promise<void>;
  /** Delivers what was held, in order, and stops holding; resolves once Redis answered it. */
  release(): Promise<void>;
  close(): Promise<void>;
}

export async function startCommandHoldingProxy(redisUrl: string): Promise<CommandHoldingProxy> {
  const target = new URL(redisUrl);
  let pattern: RegExp | null = null;
  const queued: { upstream: Socket; chunk: Buffer }[] = [];
  let holding: Socket | null = null;
  let onHeld: (() => void) | null = null;
  const sockets = new Set<Socket>();
  const answered = new WeakMap<Socket, () => void>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.on("data", (chunk: Buffer) => {
      if (holding === upstream || pattern?.test(chunk.toString("latin1"))) {
        pattern = null;
        holding = upstream;
        queued.push({ upstream, chunk });
        onHeld?.();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      client.write(chunk);
      answered.get(upstream)?.();
      answered.delete(upstream);
    });
    for (const socket of [client, upstream]) {
      socket.on("error", () => {});
      socket.on("close", () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no port");
  return {
    url: `redis://127.0.0.1:${address.port}`,
    holdNext(next) {
      pattern = next;
    },
    held: () =>
      new Promise<void>((resolve) => {
        if (queued.length > 0) resolve();
        else onHeld = resolve;
      }),
    async release() {
      holding = null;
      const sent = queued.splice(0);
      const replies = sent.map(
        ({ upstream }) => new Promise<void>((resolve) => answered.set(upstream, resolve)),
      );
      for (const { upstream, chunk } of sent) upstream.write(chunk);
      await Promise.all(replies);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
