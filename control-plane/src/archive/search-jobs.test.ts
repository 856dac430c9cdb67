/**
 * Search correctness against a brute-force filter: generated jobs across several
 * day partitions, random combinations of every filter, every page followed to the
 * end, on the real server and the embedded one. Any difference in membership or
 * order fails.
 */
import type { JsonValue } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/postgres-harness.js";
import { toArchiveRow } from "./archived-job.js";
import { migrate } from "./migrations.js";
import { dayStart, ensurePartitions } from "./partitions.js";
import { type FieldEquality, type SearchQuery, searchJobs } from "./search-jobs.js";
import { createPgliteClient, createPostgresClient, type SqlClient } from "./sql-client.js";
import { sampleJob } from "./testing-jobs.js";
import { upsertJobs } from "./upsert-jobs.js";

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const NOW = Date.UTC(2026, 10, 20, 12);
const HOUR = 3_600_000;
const PLANS = ["pro", "free", "team"];
const REGIONS = ["eu", "us", "ap"];
const WORDS = ["timeout", "refused", "quota", "disk", "network", "parse"];

interface Generated {
  id: string;
  queue: string;
  type: string;
  state: string;
  finishedAt: number;
  payload: JsonValue;
  result: JsonValue | null;
  errorText: string;
}

function generate(count: number, rand: () => number): Generated[] {
  const pick = <T>(items: readonly T[]) => items[Math.floor(rand() * items.length)] as T;
  return Array.from({ length: count }, (_, i) => {
    const queue = pick(["alpha", "beta"]);
    const state = pick(["completed", "failed", "canceled"]);
    // Ties on finish time on purpose: the id must break them the same way.
    const finishedAt = NOW - Math.floor(rand() * 72) * HOUR - (i % 3) * 1000;
    const errors = state === "failed" ? [`${pick(WORDS)} while ${pick(WORDS)}`, `then ${pick(WORDS)}`] : [];
    const tags = WORDS.filter(() => rand() < 0.3);
    return {
      id: `${queue}:${i + 1}`,
      queue,
      type: pick(["email.send", "report.build", "video.resize"]),
      state,
      finishedAt,
      payload: { user: { plan: pick(PLANS), seats: Math.floor(rand() * 4) }, region: pick(REGIONS), tags },
      result: state === "completed" ? { ok: rand() < 0.7, score: Math.floor(rand() * 3) } : null,
      errorText: errors.join("\n"),
      errors,
    } as Generated & { errors: string[] };
  });
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/** PostgreSQL's jsonb @> for the shapes the test generates (objects, arrays, scalars). */
function contains(container: unknown, wanted: unknown): boolean {
  if (Array.isArray(wanted)) {
    return Array.isArray(container) && wanted.every((w) => container.some((c) => contains(c, w)));
  }
  if (wanted && typeof wanted === "object") {
    if (!container || typeof container !== "object" || Array.isArray(container)) return false;
    return Object.entries(wanted).every(
      ([key, w]) => key in container && contains((container as Record<string, unknown>)[key], w),
    );
  }
  return canonical(container) === canonical(wanted);
}

const at = (value: unknown, path: readonly string[]) =>
  path.reduce<unknown>(
    (inner, key) =>
      inner && typeof inner === "object" && !Array.isArray(inner)
        ? (inner as Record<string, unknown>)[key]
        : undefined,
    value,
  );
const equalAt = (value: unknown, { path, value: wanted }: FieldEquality) => {
  const found = at(value, path);
  return found !== undefined && canonical(found) === canonical(wanted);
};

function bruteForce(jobs: Generated[], q: SearchQuery): string[] {
  return jobs
    .filter(
      (job) =>
        (q.queue === undefined || job.queue === q.queue) &&
        (q.type === undefined || job.type === q.type) &&
        (q.state === undefined || job.state === q.state) &&
        (q.from === undefined || job.finishedAt >= Date.parse(q.from)) &&
        (q.to === undefined || job.finishedAt < Date.parse(q.to)) &&
        (q.error === undefined ||
          job.errorText
            .toLowerCase()
            .split(/[^a-z0-9]+/)
            .includes(q.error)) &&
        (q.payload ?? []).every((eq) => equalAt(job.payload, eq)) &&
        (q.result ?? []).every((eq) => equalAt(job.result, eq)) &&
        (q.payloadContains ?? []).every((c) => contains(job.payload, c)) &&
        (q.resultContains ?? []).every((c) => job.result !== null && contains(job.result, c)),
    )
    .sort((a, b) => b.finishedAt - a.finishedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    .map((job) => job.id);
}

function randomQuery(rand: () => number): SearchQuery {
  const pick = <T>(items: readonly T[]) => items[Math.floor(rand() * items.length)] as T;
  const maybe = (p: number) => rand() < p;
  const q: SearchQuery = { limit: pick([3, 7, 25, 200]) };
  if (maybe(0.5)) q.queue = pick(["alpha", "beta", "gamma"]);
  if (maybe(0.4)) q.type = pick(["email.send", "report.build", "video.resize"]);
  if (maybe(0.4)) q.state = pick(["completed", "failed", "canceled"]);
  if (maybe(0.3)) q.from = new Date(NOW - Math.floor(rand() * 72) * HOUR).toISOString();
  if (maybe(0.3)) q.to = new Date(NOW - Math.floor(rand() * 48) * HOUR).toISOString();
  if (maybe(0.25)) q.error = pick(WORDS);
  if (maybe(0.4)) q.payload = [{ path: ["user", "plan"], value: pick(PLANS) }];
  if (maybe(0.2))
    q.payload = [...(q.payload ?? []), { path: ["user", "seats"], value: Math.floor(rand() * 4) }];
  if (maybe(0.15)) q.payload = [...(q.payload ?? []), { path: ["user"], value: { plan: "pro", seats: 1 } }];
  if (maybe(0.3))
    q.payloadContains = [
      pick<JsonValue>([{ region: pick(REGIONS) }, { tags: [pick(WORDS)] }, { user: { seats: 2 } }]),
    ];
  if (maybe(0.2)) q.result = [{ path: ["ok"], value: maybe(0.5) }];
  if (maybe(0.15)) q.resultContains = [{ score: Math.floor(rand() * 3) }];
  return q;
}

const databases: TestDatabase[] = [];
afterAll(async () => {
  await Promise.all(databases.map((db) => db.drop()));
});

const backends: [string, () => Promise<SqlClient>][] = [
  [
    "postgres",
    async () => {
      const database = await createTestDatabase();
      databases.push(database);
      return createPostgresClient(database.url);
    },
  ],
  ["pglite", () => createPgliteClient(null)],
];

describe.each(backends)("search on %s", (_name, open) => {
  let db: SqlClient;
  const rand = random(20_261_120);
  const jobs = generate(1_200, rand);

  beforeAll(async () => {
    db = await open();
    await migrate(db);
    const rows = jobs.map((job) =>
      toArchiveRow(
        sampleJob({
          id: job.id,
          type: job.type,
          state: job.state as "completed",
          payload: job.payload,
          result: job.result,
          errors: (job as Generated & { errors: string[] }).errors,
          finishedAt: job.finishedAt,
          createdAt: job.finishedAt - Math.floor(rand() * 30) * HOUR,
        }),
        "",
      ),
    );
    await ensurePartitions(db, new Set(rows.map((row) => dayStart(Date.parse(row.created_at)))), new Set());
    await upsertJobs(db, rows);
  });
  afterAll(async () => {
    await db?.close();
  });

  it("returns exactly what a brute-force filter returns, newest first, across every page", async () => {
    const queryRand = random(7);
    let nonEmpty = 0;
    for (let round = 0; round < 60; round++) {
      const query = randomQuery(queryRand);
      // Small windows so the B-tree window fills and the GIN indexes take over mid-page, as at scale.
      const scanWindow = [3, 20, 150, 5_000][round % 4] as number;
      const expected = bruteForce(jobs, query);
      const seen: string[] = [];
      let cursor: SearchQuery["cursor"];
      for (let page = 0; page < 2_000; page++) {
        const result = await searchJobs(db, { ...query, ...(cursor ? { cursor } : {}) }, { scanWindow });
        seen.push(...result.items.map((item) => item.id));
        if (!result.nextCursor) break;
        const last = result.items.at(-1);
        cursor = { finishedAt: last?.finishedAt as string, id: last?.id as string };
      }
      expect(seen, JSON.stringify(query)).toEqual(expected);
      if (expected.length > 0) nonEmpty++;
    }
    // The generator must exercise real matches, not only empty results.
    expect(nonEmpty).toBeGreaterThan(30);
  });
});
