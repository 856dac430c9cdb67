/**
 * The archive through the API: GET /v1/jobs/:id answers from Redis, then from the
 * archive once retention trimmed the job; GET /v1/search filters, pages and
 * rejects bad parameters by name; without an archive, search answers 501.
 */
import { Queue } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { archiveLagDatums } from "../../archive/archive-cloudwatch.js";
import { ArchiveService } from "../../archive/archive-service.js";
import { addTestJobs, drainQueue } from "../../archive/testing-drain.js";
import { createLogger } from "../../logging/logger.js";
import { createTestApp, type TestApp, uniqueQueue } from "../../testing/test-app.js";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
type Body = any;
type Page = { items: Body[]; nextCursor: string | null };
const bodyOf = (response: Response): Promise<Body> => response.json();
const getJson = async (path: string): Promise<Body> => bodyOf(await t.request(path));

let t: TestApp;
let archive: ArchiveService;
const name = uniqueQueue("search");
let ids: string[];

beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
  archive = await ArchiveService.open(
    { url: null, dir: null, retentionDays: 30, runArchiver: true, claimIdleMs: 30_000 },
    t.redis,
    createLogger("silent"),
    async () => [name],
  );
  t.services.archive = archive;
  const queue = new Queue({ redis: t.redis, name });
  ids = await addTestJobs(queue, 40);
  await drainQueue(t.redis, queue, ids.length);
  while (await archive.archiver?.runOnce()) {}
});

afterAll(async () => {
  await archive?.close();
  await t?.close();
});

describe("GET /v1/jobs/:id with the archive", () => {
  it("answers from Redis while it has the job, from the archive once retention trimmed it", async () => {
    const id = ids[3] as string;
    const live: Body = await getJson(`/v1/jobs/${id}`);
    expect(live.source).toBe("redis");

    // Retention by age with a 1 ms window trims every finished job of the queue.
    const trimming = new Queue({
      redis: t.redis,
      name,
      settings: { retention: { completedAgeMs: 1, failedAgeMs: 1 } },
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    while ((await trimming.maintain()).trimmed > 0) {}
    expect(await trimming.getJob(id)).toBeNull();

    const response = await t.request(`/v1/jobs/${id}`);
    expect(response.status).toBe(200);
    const archived = (await bodyOf(response)) as Record<string, unknown>;
    const { source: _live, ...liveJob } = live;
    const { source, archivedAt, ...archivedJob } = archived;
    expect(source).toBe("archive");
    expect(typeof archivedAt).toBe("string");
    expect(archivedJob).toEqual(liveJob);
    expect((await t.request(`/v1/jobs/${name}:999999`)).status).toBe(404);
  });
});

describe("GET /v1/search", () => {
  it("filters by payload field, state and error text, newest first, with a cursor", async () => {
    const pro: Page = await getJson(`/v1/search?queue=${name}&payload.user.plan=pro&limit=5`);
    expect(pro.items).toHaveLength(5);
    expect(
      pro.items.every((job: { payload: { user: { plan: string } } }) => job.payload.user.plan === "pro"),
    ).toBe(true);
    const rest: Page = await getJson(
      `/v1/search?queue=${name}&payload.user.plan=pro&limit=50&cursor=${pro.nextCursor}`,
    );
    const all = [...pro.items, ...rest.items].map((job: { payload: { n: number } }) => job.payload.n);
    expect(all.sort((a, b) => a - b)).toEqual(
      Array.from({ length: 40 }, (_, n) => n).filter((n) => n % 3 === 0),
    );
    expect(rest.nextCursor).toBeNull();

    const failed: Page = await getJson(`/v1/search?queue=${name}&state=failed&error=bad%20input`);
    expect(failed.items.map((job: { id: string }) => job.id).sort()).toEqual(
      ids.filter((_, n) => n % 10 === 7).sort(),
    );
    const contained: Page = await getJson(
      `/v1/search?queue=${name}&resultContains=${encodeURIComponent('{"doubled":8}')}`,
    );
    expect(contained.items.map((job: { id: string }) => job.id)).toEqual([ids[4]]);
  });

  it("names every wrong parameter", async () => {
    const response = await t.request("/v1/search?state=pending&limit=0&payload.a..b=1&cursor=nope&color=red");
    expect(response.status).toBe(422);
    const paths = (await bodyOf(response)).error.issues.map((issue: { path: string }) => issue.path).sort();
    expect(paths).toEqual(["color", "limit", "payload.a..b", "state"].sort());
    const badCursor = await t.request("/v1/search?cursor=bm9wZQ");
    expect((await bodyOf(badCursor)).error.issues[0].path).toBe("cursor");
  });

  it("answers 501 without an archive", async () => {
    t.services.archive = null;
    try {
      const response = await t.request("/v1/search?queue=x");
      expect(response.status).toBe(501);
      expect((await bodyOf(response)).error.code).toBe("archive_disabled");
    } finally {
      t.services.archive = archive;
    }
  });
});

describe("archive lag in the metrics", () => {
  it("reports lag per queue in Prometheus and the snapshot, rising with unarchived events and back to zero", async () => {
    const queue = new Queue({ redis: t.redis, name });
    await addTestJobs(queue, 5, 1_000);
    const behind: Body = await getJson("/v1/metrics");
    expect(behind.archive.queues[name].lagEntries).toBeGreaterThan(0);
    expect(behind.archive.database).toBe("pglite");
    while (await archive.archiver?.runOnce()) {}
    const text = await (await t.request("/metrics")).text();
    expect(text).toContain(`rqueue_archive_lag_entries{queue="${name}"} 0`);
    expect(text).toMatch(/rqueue_archive_jobs_archived_total \d+/);
    const [datum] = await archiveLagDatums(archive, [name], new Date());
    expect(datum).toMatchObject({ MetricName: "ArchiveLagSeconds", Value: 0, Unit: "Seconds" });
    expect(datum?.Dimensions).toEqual([{ Name: "Queue", Value: name }]);
  });
});
