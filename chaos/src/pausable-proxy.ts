/**
 * A loopback TCP proxy in front of a real redis-server that one worker connects
 * through, so the chaos suite can hurt that worker's connections only: pause()
 * holds every byte in both directions (a network partition the kernel does not
 * report), resume() lets them through, reset() destroys every connection (RST).
 */
import { connect, createServer, type Server, type Socket } from "node:net";

export interface PausableProxy {
  url: string;
  pause(): void;
  resume(): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startPausableProxy(redisUrl: string): Promise<PausableProxy> {
  const target = new URL(redisUrl);
  const pairs = new Set<[Socket, Socket]>();
  /** Chunks held while paused, in arrival order, with the socket each is for. */
  let held: [Socket, Buffer][] = [];
  let paused = false;
  const forward = (to: Socket) => (chunk: Buffer) => {
    if (paused) held.push([to, chunk]);
    else to.write(chunk);
  };
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.on("data", forward(upstream));
    upstream.on("data", forward(client));
    for (const socket of pair) {
      socket.on("error", () => {});
      socket.on("close", () => {
        pairs.delete(pair);
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
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      const release = held;
      held = [];
      for (const [to, chunk] of release) if (!to.destroyed) to.write(chunk);
    },
    reset() {
      held = [];
      for (const [client, upstream] of pairs) {
        client.resetAndDestroy();
        upstream.destroy();
      }
    },
    async close() {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
