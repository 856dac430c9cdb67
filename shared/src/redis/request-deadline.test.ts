import { describe, expect, it } from "vitest";
import { targets, uniqueQueue } from "../../test/engine-fixture.js";
import { JobNotFoundError } from "../errors.js";
import { Queue } from "../queue/queue.js";
import { createRedis } from "./connection.js";

describe.each(targets)("request deadline (%s)", (_name, url) => {
  // A fresh Cluster client knows no master until its first command: the deadline was
  // then estimated against no clock at all (Infinity) and every script was refused.
  it("is usable on a connection's very first call", async () => {
    const redis = createRedis(url);
    try {
      const queue = new Queue({ redis, name: uniqueQueue("deadline") });
      // cancel-job reads the deadline (count-jobs, a read, does not): it runs and finds no job.
      const error = await queue
        .withDeadline(Date.now() + 5_000)
        .cancel(`${queue.name}:1`)
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(JobNotFoundError);
    } finally {
      await redis.quit();
    }
  });
});
