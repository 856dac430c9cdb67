/**
 * Flow control over HTTP, through app.request() against real Redis (standalone and
 * Cluster): rules set and removed per scope and read back with what they allow now,
 * groups taking turns, parked and waiting for a slot as real takes leave them,
 * weights, group/groupFrom on submission and on the job read, 422s by field.
 */
import { Consumer, type FlowState, type Job } from "@rqueue/shared";
import { ApiClient } from "@rqueue/shared/client";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp, uniqueQueue } from "../../testing/test-app.js";

type FlowAnswer = FlowState & { name: string };
type ErrorAnswer = { error: { code: string; issues: { path: string; message: string }[] } };

const targets = [
  ["standalone", inject("redisUrl")],
  ["cluster", inject("redisClusterUrl")],
].filter(([, url]) => url) as [string, string][];

describe.each(targets)("flow routes (%s)", (_name, url) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(url);
  });
  afterAll(() => t.close());

  const flow = async (queue: string) => {
    const res = await t.request(`/v1/queues/${queue}/flow`);
    expect(res.status).toBe(200);
    return (await res.json()) as FlowAnswer;
  };
  const put = (path: string, json: unknown) => t.request(path, { method: "PUT", json });
  const submit = async (json: Record<string, unknown>) => {
    const res = await t.request("/v1/jobs", { method: "POST", json });
    expect(res.status).toBe(201);
    return (await res.json()) as Job;
  };
  const take = async (queue: string, n: number) => {
    const consumer = new Consumer({ redis: t.redis, queue, workerId: "flow-routes" });
    try {
      return (await consumer.settle([], n)).taken;
    } finally {
      await consumer.close();
    }
  };

  it("reads an unlimited queue, sets a type rule and shows what it allows as jobs run", async () => {
    const queue = uniqueQueue("flow");
    expect(await flow(queue)).toEqual({
      name: queue,
      rules: [],
      queue: { allowedNow: null, nextAt: null },
      types: [],
    });
    // A type is listed once the queue knows it (its first job) and it has a rule or groups.
    for (let i = 0; i < 4; i++) await submit({ type: "mail", queue });
    const set = await put(`/v1/queues/${queue}/flow/types/mail/rule`, {
      rate: { limit: 2, windowMs: 60_000, burst: 2 },
      concurrency: 3,
    });
    expect(set.status).toBe(200);
    const state = (await set.json()) as FlowAnswer;
    expect(state.rules).toEqual([
      {
        scope: { scope: "type", type: "mail" },
        rule: { rate: { limit: 2, windowMs: 60_000, burst: 2 }, concurrency: 3 },
      },
    ]);
    expect(state.types).toEqual([
      {
        type: "mail",
        running: 0,
        allowedNow: 2,
        nextAt: null,
        groupsActive: 0,
        groupsParked: 0,
        groupsWaitingForSlot: 0,
      },
    ]);

    // The burst of 2 starts; the rate holds the other two back, pending.
    expect(await take(queue, 4)).toHaveLength(2);
    const after = (await flow(queue)).types[0];
    expect(after).toMatchObject({ type: "mail", running: 2, allowedNow: 0 });
    // One start every 30 s: the next slot is about 30 s away (Redis's clock decides).
    const wait = Date.parse(after?.nextAt ?? "") - Date.now();
    expect(wait).toBeGreaterThan(20_000);
    expect(wait).toBeLessThanOrEqual(31_000);
    const counts = (await (await t.request(`/v1/jobs?queue=${queue}&state=pending`)).json()) as {
      items: Job[];
    };
    expect(counts.items.map((job) => job.attempts)).toEqual([0, 0]);

    const removed = await t.request(`/v1/queues/${queue}/flow/types/mail/rule`, { method: "DELETE" });
    expect(((await removed.json()) as FlowAnswer).rules).toEqual([]);
    expect(await take(queue, 4)).toHaveLength(2);
  });

  it("sets and removes a queue-wide rule", async () => {
    const queue = uniqueQueue("flow-q");
    await submit({ type: "a", queue });
    const state = (await (
      await put(`/v1/queues/${queue}/flow/rule`, { concurrency: 1 })
    ).json()) as FlowAnswer;
    expect(state.rules).toEqual([{ scope: { scope: "queue" }, rule: { concurrency: 1 } }]);
    expect(state.queue).toEqual({ allowedNow: 1, nextAt: null });
    expect(await take(queue, 5)).toHaveLength(1);
    // A full concurrency waits for a slot, not a time.
    expect((await flow(queue)).queue).toEqual({ allowedNow: 0, nextAt: null });
    const removed = await t.request(`/v1/queues/${queue}/flow/rule`, { method: "DELETE" });
    expect(removed.status).toBe(200);
    expect((await removed.json()) as FlowAnswer).toMatchObject({ rules: [], queue: { allowedNow: null } });
  });

  it("submits grouped jobs, shows their group, and reports groups active, waiting for a slot and parked", async () => {
    const queue = uniqueQueue("flow-g");
    const byGroup = await submit({ type: "sync", queue, group: "acme", payload: { n: 1 } });
    const byPointer = await submit({
      type: "sync",
      queue,
      groupFrom: "/tenant",
      payload: { tenant: "globex" },
    });
    for (let i = 0; i < 2; i++) {
      await submit({ type: "sync", queue, group: "acme" });
      await submit({ type: "sync", queue, groupFrom: "/tenant", payload: { tenant: "globex" } });
    }
    expect([byGroup.group, byPointer.group]).toEqual(["acme", "globex"]);
    const read = (await (await t.request(`/v1/jobs/${byPointer.id}`)).json()) as Job;
    expect(read.group).toBe("globex");
    expect((await flow(queue)).types).toEqual([
      expect.objectContaining({ type: "sync", groupsActive: 2, groupsParked: 0, groupsWaitingForSlot: 0 }),
    ]);

    const rule = await put(`/v1/queues/${queue}/flow/types/sync/group-rule`, { concurrency: 1 });
    expect(((await rule.json()) as FlowAnswer).rules).toEqual([
      { scope: { scope: "group", type: "sync" }, rule: { concurrency: 1 } },
    ]);
    // One job per group runs; the next take finds each group full and parks it until a job ends.
    const taken = await take(queue, 4);
    expect(taken.map((job) => job.id).sort()).toEqual([byGroup.id, byPointer.id].sort());
    expect(await take(queue, 4)).toHaveLength(0);
    expect((await flow(queue)).types[0]).toMatchObject({
      running: 2,
      groupsActive: 0,
      groupsParked: 0,
      groupsWaitingForSlot: 2,
    });

    // A new rule frees the waiting groups at once. With a rate per group, each starts
    // one (burst 1), then waits for a time instead.
    await put(`/v1/queues/${queue}/flow/types/sync/group-rule`, { rate: { limit: 1, windowMs: 60_000 } });
    expect(await take(queue, 4)).toHaveLength(2);
    expect(await take(queue, 4)).toHaveLength(0);
    expect((await flow(queue)).types[0]).toMatchObject({ groupsParked: 2, groupsWaitingForSlot: 0 });

    // Removing the rule lets the parked groups take their turn again at once.
    await t.request(`/v1/queues/${queue}/flow/types/sync/group-rule`, { method: "DELETE" });
    expect((await flow(queue)).types[0]).toMatchObject({ groupsActive: 2, groupsParked: 0 });
    expect(await take(queue, 4)).toHaveLength(2);
  });

  it("sets and resets a group's weight, with any group key percent-encoded", async () => {
    const queue = uniqueQueue("flow-w");
    const group = "team/α 1";
    const path = `/v1/queues/${queue}/flow/types/sync/groups/${encodeURIComponent(group)}/weight`;
    const set = await put(path, { weight: 2.5 });
    expect(set.status).toBe(200);
    expect(await set.json()).toEqual({ name: queue, type: "sync", group, weight: 2.5 });
    const reset = await t.request(path, { method: "DELETE" });
    expect(await reset.json()).toEqual({ name: queue, type: "sync", group, weight: 1 });
    expect(await (await put(path, { weight: null })).json()).toMatchObject({ weight: 1 });
  });

  it("refuses bad rules, types, groups and weights by field, writing nothing", async () => {
    const queue = uniqueQueue("flow-bad");
    const issues = async (res: Response) => {
      expect(res.status).toBe(422);
      const body = (await res.json()) as ErrorAnswer;
      expect(body.error.code).toBe("validation_failed");
      return body.error.issues.map((issue) => issue.path);
    };
    const rule = `/v1/queues/${queue}/flow/rule`;
    expect(await issues(await put(rule, { rate: { limit: 0, windowMs: 1000 } }))).toEqual(["rate.limit"]);
    expect(await issues(await put(rule, { rate: { limit: 1 } }))).toEqual(["rate.windowMs"]);
    expect(await issues(await put(rule, { concurrency: 1, extra: true }))).toEqual(["extra"]);
    const empty = await put(rule, {});
    expect(empty.status).toBe(422);
    expect(((await empty.json()) as ErrorAnswer).error.issues[0]?.message).toBe(
      "give rate, concurrency or both",
    );
    expect(await issues(await put(`/v1/queues/${queue}/flow/types/Bad!/rule`, { concurrency: 1 }))).toEqual([
      "type",
    ]);
    expect(
      await issues(await t.request(`/v1/queues/${queue}/flow/types/Bad!/group-rule`, { method: "DELETE" })),
    ).toEqual(["type"]);
    const weight = (group: string) => `/v1/queues/${queue}/flow/types/sync/groups/${group}/weight`;
    expect(await issues(await put(weight("g"), { weight: 0 }))).toEqual(["weight"]);
    expect(await issues(await put(weight("g"), {}))).toEqual(["weight"]);
    expect(await issues(await put(weight("%01"), { weight: 2 }))).toEqual(["group"]);
    expect((await put(`/v1/queues/bad{name}/flow/rule`, { concurrency: 1 })).status).toBe(422);
    expect((await flow(queue)).rules).toEqual([]);
  });
});

describe("the typed client's flow methods", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(inject("redisUrl"));
  });
  afterAll(() => t.close());

  it("reads, sets and removes rules of each scope and sets weights", async () => {
    const client = new ApiClient({
      baseUrl: "http://local",
      fetch: (input, init) => Promise.resolve(t.app.request(String(input), init)),
    });
    const queue = uniqueQueue("flow-client");
    await client.setFlowRule(queue, { scope: "queue" }, { concurrency: 5 });
    await client.setFlowRule(queue, { scope: "type", type: "a" }, { rate: { limit: 10, windowMs: 1000 } });
    const state = await client.setFlowRule(queue, { scope: "group", type: "a" }, { concurrency: 1 });
    expect(
      state.rules
        .map((rule) => rule.scope)
        .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
    ).toEqual([{ scope: "group", type: "a" }, { scope: "queue" }, { scope: "type", type: "a" }]);
    await client.removeFlowRule(queue, { scope: "type", type: "a" });
    await client.removeFlowRule(queue, { scope: "group", type: "a" });
    expect((await client.flowState(queue)).rules).toEqual([
      { scope: { scope: "queue" }, rule: { concurrency: 5 } },
    ]);
    expect(await client.setGroupWeight(queue, "a", "x/y", 3)).toMatchObject({ group: "x/y", weight: 3 });
    expect(await client.resetGroupWeight(queue, "a", "x/y")).toMatchObject({ weight: 1 });
  });
});

describe("who may change flow rules", () => {
  let t: TestApp;
  const KEYS = { reader: "flow-reader-0123456789abc", admin: "flow-admin-0123456789abcd" };
  beforeAll(async () => {
    t = await createTestApp(inject("redisUrl"), {
      RQ_API_KEYS: `r:${KEYS.reader}:read,a:${KEYS.admin}:admin`,
    });
  });
  afterAll(() => t.close());

  it("lets read keys read and only admin keys change", async () => {
    const queue = uniqueQueue("flow-auth");
    const path = `/v1/queues/${queue}/flow/rule`;
    expect((await t.request(`/v1/queues/${queue}/flow`, { key: KEYS.reader })).status).toBe(200);
    expect(
      (await t.request(path, { method: "PUT", key: KEYS.reader, json: { concurrency: 1 } })).status,
    ).toBe(403);
    expect((await t.request(path, { method: "PUT", key: KEYS.admin, json: { concurrency: 1 } })).status).toBe(
      200,
    );
  });
});
