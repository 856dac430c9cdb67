/**
 * The plumbing of the loopback TCP proxies tests put in front of a real redis-server
 * (to drop a reply, hold a command, pause a link, switch nodes): accepts a client,
 * dials the target, forwards bytes both ways unless a hook takes them, and tears
 * both sockets down together.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

export interface ProxiedConnection {
  client: Socket;
  upstream: Socket;
}

export interface LoopbackProxyHooks {
  /** Where each new connection goes (asked per connection, so a test can switch it). */
  target(): { host: string; port: number };
  /** Bytes from the client; forwarded to the server when absent. */
  fromClient?(chunk: Buffer, connection: ProxiedConnection): void;
  /** Bytes from the server; forwarded to the client when absent. */
  fromServer?(chunk: Buffer, connection: ProxiedConnection): void;
}

export interface LoopbackProxy {
  url: string;
  /** The connections open now. */
  connections: Set<ProxiedConnection>;
  close(): Promise<void>;
}

export const targetOf = (redisUrl: string) => {
  const url = new URL(redisUrl);
  return { host: url.hostname, port: Number(url.port) };
};

export async function startLoopbackProxy(hooks: LoopbackProxyHooks): Promise<LoopbackProxy> {
  const connections = new Set<ProxiedConnection>();
  const server: Server = createServer((client) => {
    const { host, port } = hooks.target();
    const connection: ProxiedConnection = { client, upstream: connect(port, host) };
    const { upstream } = connection;
    connections.add(connection);
    client.on("data", (chunk: Buffer) =>
      hooks.fromClient ? hooks.fromClient(chunk, connection) : upstream.write(chunk),
    );
    upstream.on("data", (chunk: Buffer) =>
      hooks.fromServer ? hooks.fromServer(chunk, connection) : client.write(chunk),
    );
    for (const socket of [client, upstream]) {
      socket.on("error", () => {});
      socket.on("close", () => {
        connections.delete(connection);
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
    connections,
    async close() {
      for (const { client, upstream } of connections) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
