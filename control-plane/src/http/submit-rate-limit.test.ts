/**
 * The submit rate limit per API key, enforced in Redis: two control planes on one
 * Redis share each key's bucket; over it, 429 with Retry-After and nothing written;
 * other keys keep their own budget. Batches cost one token per job.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp, uniqueQueue } from "../testing/test-app.js";

const KEYS = { a: "key-a-secret-0123456789", b: "key-b-secret-0123456789" };
const env = {
  RQ_API_KEYS: `key-a:${KEYS.a}:submit,key-b:${KEYS.b}:submit`,
  // One job a second: the 10 tokens the second batch needs take 10 s to come back,
  // far longer than this test runs even on a loaded machine.
  RQ_SUBMIT_RATE: "1",
  RQ_SUBMIT_BURST: "50",
  RQ_REQUIRE_REGISTERED_TYPES: "0",
};
let one: TestApp;
let two: TestApp;
beforeAll(async () => {
  [one, two] = await Promise.all([
    createTestApp(inject("redisUrl"), env),
    createTestApp(inject("redisUrl"), env),
  ]);
});
afterAll(async () => {
  await Promise.all([one.close(), two.close()]);
});

const batch = (queue: string, count: number) => ({
  jobs: Array.from({ length: count }, () => ({ type: "a", queue })),
});

const targets = [
  ["standalone", inject("redisUrl")],
  ["cluster", inject("redisClusterUrl")],
].filter(([, url]) => url);

describe.each(targets)("submit rate limit (%s)", (_name, url) => {
  let one: TestApp;
  let two: TestApp;
  beforeAll(async () => {
    [one, two] = await Promise.all([createTestApp(url as string, env), createTestApp(url as string, env)]);
  });
  afterAll(async () => {
    await Promise.all([one.close(), two.close()]);
  });

  it("is shared by control planes, answers 429 with Retry-After and writes nothing", async () => {
    const queue = uniqueQueue("rate");
    const first = await one.request("/v1/jobs/batch", {
      method: "POST",
      key: KEYS.a,
      json: batch(queue, 45),
    });
    expect(first.status).toBe(201);
    const second = await two.request("/v1/jobs/batch", {
      method: "POST",
      key: KEYS.a,
      json: batch(queue, 10),
    });
    expect(second.status).toBe(429);
    expect(Number(second.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const body = (await second.json()) as { error: { code: string } };
    expect(body.error.code).toBe("rate_limited");
    expect((await one.services.queues.get(queue).counts()).total.pending).toBe(45);

    const other = await two.request("/v1/jobs/batch", {
      method: "POST",
      key: KEYS.b,
      json: batch(queue, 10),
    });
    expect(other.status).toBe(201);
  });

  it("refuses a batch larger than the burst, whatever the bucket holds", async () => {
    const res = await one.request("/v1/jobs/batch", {
      method: "POST",
      key: KEYS.b,
      json: batch(uniqueQueue("rate"), 51),
    });
    expect(res.status).toBe(429);
  });
});
