/**
 * A write the API answered 503 must never apply later (issue 12, defect 4): the submit's
 * script leaves the control plane, then Redis stalls (a proxy holds the command, as a
 * frozen master would) past the request's deadline, so the API answers 503. When the
 * command finally reaches Redis, the script finds its deadline passed and writes nothing,
 * so a client that retries after the 503 cannot end up with its job twice.
 */
import { QUEUES_KEY, Queue } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  type CommandHoldingProxy,
  startCommandHoldingProxy,
} from "../../../shared/test/command-holding-proxy.js";
import { eventually } from "../../../shared/test/engine-fixture.js";
import { createTestApp, type TestApp, uniqueQueue } from "../testing/test-app.js";

let proxy: CommandHoldingProxy;
let t: TestApp;
beforeAll(async () => {
  proxy = await startCommandHoldingProxy(inject("redisUrl"));
  t = await createTestApp(proxy.url, { RQ_REDIS_TIMEOUT_MS: "1000" });
});
afterAll(async () => {
  await proxy?.release();
  await t?.close();
  await proxy?.close();
});

// The job scripts are Redis Functions (the submit rate limit, when on, is an EVALSHA).
const SCRIPT_CALL = /fcall/i;

describe("request deadline", () => {
  it.each([
    ["POST /v1/jobs", "/v1/jobs", (queue: string) => ({ type: "once", queue })],
    [
      "POST /v1/jobs/batch",
      "/v1/jobs/batch",
      (queue: string) => ({
        jobs: [
          { type: "once", queue },
          { type: "once", queue },
        ],
      }),
    ],
  ])("%s answered 503 while its script was stalled is not written later", async (_name, path, body) => {
    const queue = uniqueQueue("stalled");
    // Warm: scripts loaded, Redis's clock estimated (a busy machine may need a second try).
    await eventually(
      async () =>
        (await t.request("/v1/jobs", { method: "POST", json: { type: "warm", queue } })).status === 201,
      20_000,
    );

    proxy.holdNext(SCRIPT_CALL);
    const answer = t.request(path, { method: "POST", json: body(queue) });
    await proxy.held();
    expect((await answer).status).toBe(503);
    await proxy.release();
    const counts = await new Queue({ redis: t.redis, name: queue }).counts();
    expect(counts.byType.once?.pending ?? 0).toBe(0);
    expect(await t.redis.sismember(QUEUES_KEY, queue)).toBe(1);
  });
});
