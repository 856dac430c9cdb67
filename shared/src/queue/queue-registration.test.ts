/**
 * Issue 12, defect 11: an add that is refused or fails registers nothing in the
 * queue set (it used to SADD first, so a request answered 503 still listed its queue).
 */
import { describe, expect, it } from "vitest";
import { targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { startReplyDroppingProxy } from "../../test/reply-dropping-proxy.js";
import { QUEUES_KEY } from "../keys.js";
import { createRedis } from "../redis/connection.js";
import { Queue } from "./queue.js";

describe.each(targets)("queue registration (%s)", (_name, url) => {
  const redis = useRedis(url);

  it("registers a queue only once a job was written", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("reg") });
    await expect(queue.add({ type: "t", dependsOn: [`${queue.name}:999999`] })).rejects.toThrow(/999999/);
    expect(await redis().sismember(QUEUES_KEY, queue.name)).toBe(0);
    await queue.add({ type: "t" });
    expect(await redis().sismember(QUEUES_KEY, queue.name)).toBe(1);
  });
});

describe("queue registration when the add fails on the wire", () => {
  const redis = useRedis(targets[0]?.[1] ?? "");

  it("registers nothing for an add whose reply was lost", async () => {
    const [, url] = targets[0] as [string, string];
    const proxy = await startReplyDroppingProxy(url);
    // As the control plane connects: a lost reply fails the call at once (a 503).
    const viaProxy = createRedis(proxy.url, { failFast: true });
    try {
      while (viaProxy.status !== "ready") await new Promise((resolve) => viaProxy.once("ready", resolve));
      const queue = new Queue({ redis: viaProxy, name: uniqueQueue("lost") });
      proxy.dropNextReply();
      await expect(queue.add({ type: "t" })).rejects.toThrow();
      expect(proxy.dropped()).toBe(1);
      expect(await redis().sismember(QUEUES_KEY, queue.name)).toBe(0);
    } finally {
      viaProxy.disconnect();
      await proxy.close();
    }
  });
});
