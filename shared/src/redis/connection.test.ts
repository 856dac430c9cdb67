/**
 * Connections: a blocking duplicate of a command connection with a command timeout
 * must wait as long as its command asks (ioredis's duplicate() copies every option,
 * the timeout included, so XREAD BLOCK used to fail after the command timeout).
 */
import { describe, expect, it } from "vitest";
import { targets, uniqueQueue } from "../../test/engine-fixture.js";
import { queueKeys } from "../keys.js";
import { createRedis, duplicateRedis } from "./connection.js";

describe.each(targets)("blocking duplicates (%s)", (_name, url) => {
  it("do not inherit the command timeout", async () => {
    const redis = createRedis(url, { commandTimeoutMs: 100 });
    const blocking = duplicateRedis(redis, { blocking: true });
    try {
      const key = queueKeys(uniqueQueue("block")).events;
      await expect(blocking.xread("BLOCK", 300, "STREAMS", key, "$")).resolves.toBeNull();
      // The command connection keeps its own timeout.
      await expect(redis.xread("BLOCK", 300, "STREAMS", key, "$")).rejects.toThrow(/timed out/i);
    } finally {
      blocking.disconnect();
      redis.disconnect();
    }
  });
});
