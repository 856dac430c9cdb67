import { describe, expect, it } from "vitest";
import { targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import { ValidationError } from "../errors.js";
import { Queue } from "./queue.js";

describe.each(targets)("messages that explain themselves (%s)", (_name, url) => {
  const redis = useRedis(url);

  it("a bad runAt is one message with an example", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("msg") });
    const forms = 'an ISO 8601 timestamp such as "2026-12-01T09:00:00Z", epoch milliseconds or a Date';
    for (const runAt of ["tomorrow", -5, 1.5, true]) {
      const error = await queue.add({ type: "a", runAt: runAt as string }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues).toEqual([{ path: "runAt", message: `must be ${forms}` }]);
    }
    const far = await queue
      .add({ type: "a", runAt: "2999-01-01T00:00:00Z" })
      .catch((caught: unknown) => caught);
    expect((far as ValidationError).issues).toEqual([
      { path: "runAt", message: `must be at most 366 days ahead, as ${forms}` },
    ]);
  });

  it("a dependency failure names the parent's full job id", async () => {
    const queue = new Queue({ redis: redis(), name: uniqueQueue("msg") });
    const [parent, child] = await queue.addBulk([
      { type: "p", ref: "p" },
      { type: "c", dependsOn: ["p"] },
    ]);
    await queue.cancel(parent?.id as string);
    const failed = await queue.getJobOrThrow(child?.id as string);
    expect(failed).toMatchObject({ state: "failed", failureReason: "dependency-failed" });
    expect(failed.lastError?.message).toBe(`dependency ${parent?.id} was canceled`);
  });
});
