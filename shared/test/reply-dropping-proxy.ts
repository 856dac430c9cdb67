/**
 * A loopback TCP proxy in front of a real redis-server that can lose one reply:
 * the command reaches Redis and runs, then the client's connection is cut before
 * the answer arrives — a connection reset at the worst moment.
 */
import { startLoopbackProxy, targetOf } from "./loopback-proxy.js";

export interface ReplyDroppingProxy {
  url: string;
  /** The next reply Redis sends on any connection is dropped and that connection is cut. */
  dropNextReply(): void;
  dropped(): number;
  close(): Promise<void>;
}

export async function startReplyDroppingProxy(redisUrl: string): Promise<ReplyDroppingProxy> {
  let armed = false;
  let dropped = 0;
  const proxy = await startLoopbackProxy({
    target: () => targetOf(redisUrl),
    fromServer(chunk, { client, upstream }) {
      if (!armed) {
        client.write(chunk);
        return;
      }
      armed = false;
      dropped++;
      client.destroy();
      upstream.destroy();
    },
  });
  return {
    url: proxy.url,
    dropNextReply: () => {
      armed = true;
    },
    dropped: () => dropped,
    close: proxy.close,
  };
}
