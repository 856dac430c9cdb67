/**
 * A loopback TCP proxy in front of a real redis-server that can hold commands back:
 * once armed, the first chunk a client sends that matches a pattern, and everything
 * sent on that connection after it, waits in the proxy until release() — as if the
 * server froze right after the command left the client. Replies flow as usual.
 */
import type { Socket } from "node:net";
import { startLoopbackProxy, targetOf } from "./loopback-proxy.js";

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
  let pattern: RegExp | null = null;
  const queued: { upstream: Socket; chunk: Buffer }[] = [];
  let holding: Socket | null = null;
  let onHeld: (() => void) | null = null;
  const answered = new WeakMap<Socket, () => void>();
  const proxy = await startLoopbackProxy({
    target: () => targetOf(redisUrl),
    fromClient(chunk, { upstream }) {
      if (holding === upstream || pattern?.test(chunk.toString("latin1"))) {
        pattern = null;
        holding = upstream;
        queued.push({ upstream, chunk });
        onHeld?.();
        return;
      }
      upstream.write(chunk);
    },
    fromServer(chunk, { client, upstream }) {
      client.write(chunk);
      answered.get(upstream)?.();
      answered.delete(upstream);
    },
  });
  return {
    url: proxy.url,
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
    close: proxy.close,
  };
}
