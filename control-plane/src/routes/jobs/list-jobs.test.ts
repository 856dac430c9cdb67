import { type Job, Queue } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp, uniqueQueue } from "../../testing/test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
});
afterAll(() => t.close());

interface Page {
  items: Job[];
  nextCursor: string | null;
}

async function walk(query: string, limit: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await t.request(`/v1/jobs?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`);
    expect(res.status).toBe(200);
    const page = (await res.json()) as Page;
    ids.push(...page.items.map((job) => job.id));
    cursor = page.nextCursor;
    pages++;
  } while (cursor && pages < 1000);
  return { ids, pages };
}

describe("GET /v1/jobs", () => {
  it("walks 1,000 jobs newest first without duplicates or gaps, while jobs are added and canceled", async () => {
    const name = uniqueQueue("page");
    const queue = new Queue({ redis: t.redis, name });
    const added = await queue.addBulk(
      Array.from({ length: 1000 }, (_, i) => ({ type: i % 2 ? "odd" : "even", payload: i })),
    );
    await queue.cancel(added[0]?.id as string);
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await t.request(
        `/v1/jobs?queue=${name}&state=pending&limit=37${cursor ? `&cursor=${cursor}` : ""}`,
      );
      const page = (await res.json()) as Page;
      ids.push(...page.items.map((job) => job.id));
      cursor = page.nextCursor;
      if (pages === 3) await queue.add({ type: "even", payload: "late" });
      pages++;
    } while (cursor);
    // The job added mid-walk sorts before the cursor, so the walk is exactly the original set.
    const expected = added
      .slice(1)
      .map((a) => a.id)
      .reverse();
    expect(ids).toEqual(expected);
    expect(pages).toBe(Math.ceil(999 / 37));
  });

  it("filters by type and by priority, following cursors through short pages", async () => {
    const name = uniqueQueue("filter");
    const queue = new Queue({ redis: t.redis, name });
    await queue.addBulk(
      Array.from({ length: 300 }, (_, i) => ({
        type: i % 3 === 0 ? "a" : "b",
        priority: i % 10 === 0 ? 9 : 5,
      })),
    );
    const typeA = await walk(`queue=${name}&state=pending&type=a`, 200);
    expect(typeA.ids).toHaveLength(100);
    const urgent = await walk(`queue=${name}&state=pending&priority=9`, 7);
    expect(urgent.ids).toHaveLength(30);
    expect(new Set(urgent.ids).size).toBe(30);
    for (const id of urgent.ids) {
      const job = (await (await t.request(`/v1/jobs/${id}`)).json()) as Job;
      expect(job.priority).toBe(9);
    }
  });

  it("lists every state when no state is given", async () => {
    const name = uniqueQueue("all-states");
    const queue = new Queue({ redis: t.redis, name });
    const now = await queue.add({ type: "a" });
    const later = await queue.add({ type: "a", delayMs: 60_000 });
    const res = await t.request(`/v1/jobs?queue=${name}&limit=1`);
    expect(res.status).toBe(200);
    const first = (await res.json()) as { items: Job[]; nextCursor: string };
    expect(first.items.map((job) => job.id)).toEqual([now.id]);
    const second = (await (await t.request(`/v1/jobs?queue=${name}&cursor=${first.nextCursor}`)).json()) as {
      items: Job[];
      nextCursor: string | null;
    };
    expect(second).toEqual({
      items: [expect.objectContaining({ id: later.id, state: "scheduled" })],
      nextCursor: null,
    });
  });

  it("answers 422 for bad limits, bad cursor, unknown filters", async () => {
    const cases: [string, string][] = [
      ["state=running", "state"],
      ["state=pending&limit=0", "limit"],
      ["state=pending&limit=201", "limit"],
      ["state=pending&priority=11", "priority"],
      ["state=pending&cursor=bm90LWEtY3Vyc29y", "cursor"],
      ["state=pending&queue=a{b}", "queue"],
      ["state=pending&colour=red", "colour"],
    ];
    for (const [query, path] of cases) {
      const res = await t.request(`/v1/jobs?${query}`);
      expect(res.status, query).toBe(422);
      const { error } = (await res.json()) as { error: { issues: { path: string }[] } };
      expect(
        error.issues.map((issue) => issue.path),
        query,
      ).toContain(path);
    }
  });
});
