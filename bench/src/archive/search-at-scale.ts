/**
 * `make bench-full`: GET /v1/search's queries at archive scale. Generates
 * BENCH_ARCHIVE_ROWS finished jobs (default 10,000,000) over 30 daily partitions
 * in PostgreSQL (BENCH_ARCHIVE_URL, else the machine's server or one the test
 * harness starts), inside the database with generate_series, with the indexes
 * dropped during the load and rebuilt from the schema's own migration after it;
 * then runs each search shape many times with random parameters through the same
 * query layer the API uses and prints p50/p99. The data set is kept and reused
 * while its row count matches. Writes bench/results/archive-search.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { MIGRATIONS, migrate } from "../../../control-plane/src/archive/migrations.js";
import { DAY_MS, dayStart, ensurePartitions } from "../../../control-plane/src/archive/partitions.js";
import { type SearchQuery, searchJobs } from "../../../control-plane/src/archive/search-jobs.js";
import { createPostgresClient, type SqlClient } from "../../../control-plane/src/archive/sql-client.js";
import { postgresAdminUrl } from "../../../control-plane/src/testing/postgres-harness.js";

const ROWS = Number(process.env.BENCH_ARCHIVE_ROWS ?? 10_000_000);
const RUNS = Number(process.env.BENCH_ARCHIVE_RUNS ?? 200);
const DAYS = 30;
const CHUNK = 500_000;
const DATABASE = "rq_bench_archive";
const QUEUES = 8;
const USERS = 100_000;
const END = dayStart(Date.now());
const START = END - DAYS * DAY_MS;

async function openDatabase(): Promise<SqlClient> {
  if (process.env.BENCH_ARCHIVE_URL) return createPostgresClient(process.env.BENCH_ARCHIVE_URL);
  const admin = createPostgresClient(await postgresAdminUrl(), { max: 1 });
  const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [DATABASE]);
  if (exists.rowCount === 0) await admin.exec(`CREATE DATABASE ${DATABASE}`);
  await admin.close();
  const url = new URL(await postgresAdminUrl());
  url.pathname = `/${DATABASE}`;
  return createPostgresClient(url.toString(), { max: 4 });
}

const indexStatements = () =>
  (MIGRATIONS.find((m) => m.version === 2)?.sql ?? "")
    .split(";")
    .map((statement) => statement.trim())
    .filter((statement) => statement.startsWith("CREATE INDEX"));

async function load(db: SqlClient): Promise<void> {
  const { rows } = await db.query<{ n: number }>("SELECT count(*)::bigint AS n FROM rq_archive_jobs");
  if (rows[0]?.n === ROWS) {
    console.log(`reusing ${ROWS.toLocaleString()} archived jobs`);
    return;
  }
  await db.exec("TRUNCATE rq_archive_jobs");
  const days = Array.from({ length: DAYS + 1 }, (_, i) => START + i * DAY_MS);
  await ensurePartitions(db, days, new Set());
  for (const statement of indexStatements()) {
    const name = /CREATE INDEX (\S+)/.exec(statement)?.[1];
    await db.exec(`DROP INDEX IF EXISTS ${name}`);
  }
  const spacingMs = (DAYS * DAY_MS) / ROWS;
  const started = Date.now();
  // Time grows with g, as it does in a real archive; ~5% failed, ~1% canceled.
  for (let from = 1; from <= ROWS; from += CHUNK) {
    const to = Math.min(ROWS, from + CHUNK - 1);
    await db.query(
      `INSERT INTO rq_archive_jobs (id, queue, seq, type, state, priority, attempts, max_attempts, payload,
         result, errors, error_text, failure_reason, worker_id, created_at, started_at, finished_at)
       SELECT 'q' || (g % ${QUEUES}) || ':' || g, 'q' || (g % ${QUEUES}), g,
         (ARRAY['email.send','report.build','video.resize','invoice.pdf','sms.send'])[1 + (g * 7) % 5],
         CASE WHEN g % 20 = 0 THEN 'failed' WHEN g % 97 = 0 THEN 'canceled' ELSE 'completed' END,
         1 + g % 10, CASE WHEN g % 20 = 0 THEN 3 ELSE 1 END, 3,
         jsonb_build_object(
           'user', jsonb_build_object('id', (g * 31) % ${USERS}, 'plan', (ARRAY['free','pro','team','enterprise'])[1 + (g * 13) % 4]),
           'region', (ARRAY['eu','us','ap'])[1 + g % 3], 'orderId', g, 'items', (g % 7)),
         CASE WHEN g % 20 = 0 OR g % 97 = 0 THEN NULL ELSE jsonb_build_object('ok', true, 'ms', g % 1000, 'pages', g % 50) END,
         CASE WHEN g % 20 = 0 THEN jsonb_build_array(jsonb_build_object('attempt', 3, 'message', e.message, 'at', 0)) ELSE '[]'::jsonb END,
         CASE WHEN g % 20 = 0 THEN e.message END,
         CASE WHEN g % 20 = 0 THEN 'error' END,
         'worker-' || (g % 40),
         to_timestamp((${START} + g * ${spacingMs}) / 1000.0),
         to_timestamp((${START} + g * ${spacingMs} + 5) / 1000.0),
         to_timestamp((${START} + g * ${spacingMs} + 5 + g % 2000) / 1000.0)
       FROM generate_series($1::bigint, $2::bigint) g,
         LATERAL (SELECT (ARRAY['connection refused by upstream', 'timeout after 30000 ms', 'disk quota exceeded',
           'invalid invoice total', 'rate limited by provider ' || (g % 500)])[1 + (g / 20) % 5] AS message) e`,
      [from, to],
    );
    process.stdout.write(
      `\rloaded ${to.toLocaleString()} rows (${Math.round((Date.now() - started) / 1000)} s)`,
    );
  }
  console.log("");
  await db.exec("SET maintenance_work_mem = '1GB'");
  for (const statement of indexStatements()) {
    const t = Date.now();
    await db.exec(statement);
    console.log(`${/CREATE INDEX (\S+)/.exec(statement)?.[1]}: ${Math.round((Date.now() - t) / 1000)} s`);
  }
  await db.exec("ANALYZE rq_archive_jobs");
  console.log(`load and indexes: ${Math.round((Date.now() - started) / 1000)} s`);
}

type Shape = [name: string, make: (rand: () => number) => SearchQuery];
const pick = <T>(rand: () => number, items: readonly T[]) => items[Math.floor(rand() * items.length)] as T;
const queue = (rand: () => number) => `q${Math.floor(rand() * QUEUES)}`;
const g = (rand: () => number) => 1 + Math.floor(rand() * ROWS);

const SHAPES: Shape[] = [
  ["newest 50, all queues", () => ({ limit: 50 })],
  ["newest 50 of a queue", (r) => ({ queue: queue(r), limit: 50 })],
  [
    "queue + type + state=failed",
    (r) => ({ queue: queue(r), type: pick(r, ["email.send", "sms.send"]), state: "failed", limit: 50 }),
  ],
  [
    "queue + one hour window",
    (r) => {
      const from = START + Math.floor(r() * (DAYS * 24 - 1)) * 3_600_000;
      return {
        queue: queue(r),
        from: new Date(from).toISOString(),
        to: new Date(from + 3_600_000).toISOString(),
        limit: 50,
      };
    },
  ],
  [
    "payload.user.plan (25% of rows)",
    (r) => ({ payload: [{ path: ["user", "plan"], value: pick(r, ["pro", "enterprise"]) }], limit: 50 }),
  ],
  [
    "payload.user.id (1 in 100k)",
    (r) => ({ payload: [{ path: ["user", "id"], value: Math.floor(r() * USERS) }], limit: 50 }),
  ],
  ["payload.orderId (unique)", (r) => ({ payload: [{ path: ["orderId"], value: g(r) }], limit: 50 })],
  [
    "payloadContains region + queue",
    (r) => ({ queue: queue(r), payloadContains: [{ region: pick(r, ["eu", "ap"]) }], limit: 50 }),
  ],
  [
    "result.pages = n (2%)",
    (r) => ({ result: [{ path: ["pages"], value: Math.floor(r() * 50) }], limit: 50 }),
  ],
  ["error text, common word", (r) => ({ error: pick(r, ["timeout", "refused", "quota"]), limit: 50 })],
  [
    "error text + queue, rare phrase",
    (r) => ({ queue: queue(r), error: `"rate limited" ${Math.floor(r() * 500)}`, limit: 50 }),
  ],
  [
    "user.id + state=failed (rare AND rare)",
    (r) => ({
      state: "failed",
      payload: [{ path: ["user", "id"], value: Math.floor(r() * USERS) }],
      limit: 50,
    }),
  ],
  [
    "deep page: queue, cursor mid-archive",
    (r) => {
      const at = START + Math.floor(r() * DAYS * DAY_MS);
      return { queue: queue(r), limit: 50, cursor: { finishedAt: new Date(at).toISOString(), id: "q~" } };
    },
  ],
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

async function main(): Promise<void> {
  const db = await openDatabase();
  await migrate(db);
  await load(db);
  let seed = 42;
  const rand = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const results: Record<string, { p50: number; p99: number; max: number; avgItems: number }> = {};
  for (const [name, make] of SHAPES) {
    for (let i = 0; i < 5; i++) await searchJobs(db, make(rand)); // warm the cache
    const times: number[] = [];
    let items = 0;
    for (let i = 0; i < RUNS; i++) {
      const query = make(rand);
      const t = performance.now();
      const page = await searchJobs(db, query);
      times.push(performance.now() - t);
      items += page.items.length;
    }
    times.sort((a, b) => a - b);
    results[name] = {
      p50: Number(percentile(times, 50).toFixed(2)),
      p99: Number(percentile(times, 99).toFixed(2)),
      max: Number((times.at(-1) ?? 0).toFixed(2)),
      avgItems: Math.round(items / RUNS),
    };
    console.log(
      `${name.padEnd(42)} p50 ${results[name].p50.toFixed(1).padStart(7)} ms   p99 ${results[name].p99.toFixed(1).padStart(7)} ms   items ${results[name].avgItems}`,
    );
  }
  const out = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "results", "archive-search.json");
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify({ rows: ROWS, runs: RUNS, measuredAt: new Date().toISOString(), results }, null, 2)}\n`,
  );
  await db.close();
}

await main();
