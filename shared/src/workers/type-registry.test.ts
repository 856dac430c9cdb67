/**
 * The type registry on standalone Redis and Cluster: advertisements are stored
 * verbatim (schemas with empty arrays and objects survive), workers lapse after
 * three missed beats while the type stays registered, and withdrawal removes a
 * stopping worker at once. Several queues, so several slots on Cluster.
 */
import { describe, expect, it } from "vitest";
import { eventually, targets, uniqueQueue, useRedis } from "../../test/engine-fixture.js";
import {
  advertiseTypes,
  getRegisteredType,
  listRegisteredTypes,
  schemaVersion,
  type TypeAdvertisement,
  withdrawTypes,
} from "./type-registry.js";

const schema = {
  type: "object",
  properties: { ms: { type: "integer", minimum: 0 }, tags: { type: "array", items: {} } },
  required: [],
  $schema: "http://json-schema.org/draft-07/schema#",
};
const ad = (type: string): TypeAdvertisement => ({
  type,
  schema,
  schemaVersion: schemaVersion(schema),
  defaults: {
    timeoutMs: 300_000,
    maxAttempts: 3,
    backoff: { strategy: "exponential", delayMs: 1_000, maxDelayMs: 3_600_000, jitter: true },
    maxAttemptsCap: null,
    concurrency: null,
    isolation: "main",
  },
});

describe.each(targets)("type registry (%s)", (_name, url) => {
  const redis = useRedis(url);

  it("lists advertised types with their live workers, per queue", async () => {
    const [q1, q2] = [uniqueQueue("types"), uniqueQueue("types")];
    for (const queue of [q1, q2]) {
      expect(await advertiseTypes(redis(), queue, "w-1", 60_000, [ad("sleep"), ad("echo")])).toBe(0);
    }
    await advertiseTypes(redis(), q1, "w-2", 60_000, [ad("sleep")]);
    const listed = await listRegisteredTypes(redis(), q1);
    expect(listed.map((entry) => [entry.type, entry.workers.sort()])).toEqual([
      ["echo", ["w-1"]],
      ["sleep", ["w-1", "w-2"]],
    ]);
    expect(listed[1]).toMatchObject({ schema, defaults: ad("sleep").defaults });
    expect(Date.parse(listed[1]?.updatedAt ?? "")).toBeGreaterThan(Date.now() - 60_000);
    expect((await getRegisteredType(redis(), q2, "echo"))?.schemaVersion).toBe(schemaVersion(schema));
    expect(await getRegisteredType(redis(), q2, "nope")).toBeNull();

    await withdrawTypes(redis(), q1, "w-2", ["sleep"]);
    expect((await listRegisteredTypes(redis(), q1))[1]?.workers).toEqual(["w-1"]);
  });

  it("keeps a type registered after its worker's advertisement lapses", async () => {
    const queue = uniqueQueue("types");
    await advertiseTypes(redis(), queue, "w-short", 20, [ad("cpu")]);
    await eventually(async () => (await listRegisteredTypes(redis(), queue))[0]?.workers.length === 0, 5_000);
    expect((await listRegisteredTypes(redis(), queue)).map((entry) => entry.type)).toEqual(["cpu"]);
  });
});
