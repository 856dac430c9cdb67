import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp, uniqueQueue } from "../../testing/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
});
afterAll(() => t.close());

describe("POST /v1/jobs/batch", () => {
  it("names the queue of a ref that points into another queue, and writes nothing", async () => {
    const [a, b] = [uniqueQueue("refs-a"), uniqueQueue("refs-b")];
    const res = await t.request("/v1/jobs/batch", {
      method: "POST",
      json: {
        jobs: [
          { type: "noop", queue: a, ref: "download" },
          { type: "noop", queue: b, dependsOn: ["download"] },
        ],
      },
    });
    expect(res.status).toBe(422);
    const { error } = (await res.json()) as { error: { issues: { path: string; message: string }[] } };
    expect(error.issues).toEqual([
      {
        path: "jobs.1.dependsOn",
        message: `ref "download" is in queue "${a}": dependencies must stay within queue "${b}", because one queue lives in one Redis Cluster slot and its steps must be atomic`,
      },
    ]);
  });
});
