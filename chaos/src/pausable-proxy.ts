/**
 * A loopback TCP proxy in front of a real redis-server that one worker connects
 * through, so the chaos suite can hurt that worker's connections only: pause()
 * holds every byte in both directions (a network partition the kernel does not
 * report), resume() lets them through, reset() destroys every connection (RST).
 */
import type { Socket } from "node:net";
import { startLoopbackProxy, targetOf } from "../../shared/test/loopback-proxy.js";

export interface PausableProxy {
  url: string;
  pause(): void;
  resume(): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startPausableProxy(redisUrl: string): Promise<PausableProxy> {
  /** Chunks held while paused, in arrival order, with the socket each is for. */
  let held: [Socket, Buffer][] = [];
  let paused = false;
  const forward = (to: Socket, chunk: Buffer) => {
    if (paused) held.push([to, chunk]);
    else to.write(chunk);
  };
  const proxy = await startLoopbackProxy({
    target: () => targetOf(redisUrl),
    fromClient: (chunk, { upstream }) => forward(upstream, chunk),
    fromServer: (chunk, { client }) => forward(client, chunk),
  });
  return {
    url: proxy.url,
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
      for (const { client, upstream } of proxy.connections) {
        client.resetAndDestroy();
        upstream.destroy();
      }
    },
    close: proxy.close,
  };
}
