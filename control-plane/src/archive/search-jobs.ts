/**
 * Search over the archive: filters on queue, type, state, finish time, full text
 * of attempt errors and JSON containment or field equality on payload and result;
 * newest first by (finished_at, id) with a keyset cursor, so every page is an
 * index range scan however deep the client pages.
 *
 * Field equality `payload.user.plan = "pro"` is sent as containment
 * (`payload @> '{"user":{"plan":"pro"}}'`), which the jsonb_path_ops GIN index
 * answers, plus an exact `#>` comparison that rechecks what containment would
 * accept too loosely (an object value with extra keys).
 */
import type { JsonValue } from "@rqueue/shared";
import { type ArchivedJob, fromArchiveRow, SELECT_COLUMNS } from "./archived-job.js";
import type { SqlExecutor } from "./sql-client.js";

export interface FieldEquality {
  /** Path below the payload or result, e.g. ["user", "plan"]. */
  path: string[];
  value: JsonValue;
}

export interface SearchCursor {
  finishedAt: string;
  id: string;
}

export interface SearchQuery {
  queue?: string;
  type?: string;
  state?: string;
  /** Finished at or after (ISO time). */
  from?: string;
  /** Finished before (ISO time). */
  to?: string;
  /** Full text over every attempt's error message (web search syntax: words, "phrases", -not, or). */
  error?: string;
  payload?: FieldEquality[];
  result?: FieldEquality[];
  payloadContains?: JsonValue[];
  resultContains?: JsonValue[];
  limit: number;
  cursor?: SearchCursor;
}

export interface SearchPage {
  items: ArchivedJob[];
  nextCursor: string | null;
}

export function encodeCursor(cursor: SearchCursor): string {
  return Buffer.from(JSON.stringify([cursor.finishedAt, cursor.id])).toString("base64url");
}

/** Null when the text is not a cursor this API issued. */
export function decodeCursor(text: string): SearchCursor | null {
  try {
    const value = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as unknown;
    if (!Array.isArray(value) || value.length !== 2) return null;
    const [finishedAt, id] = value as unknown[];
    if (typeof finishedAt !== "string" || typeof id !== "string") return null;
    if (Number.isNaN(Date.parse(finishedAt))) return null;
    return { finishedAt, id };
  } catch {
    return null;
  }
}

/** `{"a":{"b":value}}` for the path ["a","b"]. */
export function nestAt(path: readonly string[], value: JsonValue): JsonValue {
  return path.reduceRight<JsonValue>((inner, key) => ({ [key]: inner }), value);
}

class Conditions {
  readonly parts: string[] = [];
  readonly params: unknown[] = [];
  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
  add(sql: string): void {
    this.parts.push(sql);
  }
}

function addJsonFilters(
  where: Conditions,
  column: "payload" | "result",
  equalities: readonly FieldEquality[] = [],
  containments: readonly JsonValue[] = [],
): void {
  for (const { path, value } of equalities) {
    const json = JSON.stringify(value);
    where.add(`${column} @> ${where.param(JSON.stringify(nestAt(path, value)))}::jsonb`);
    where.add(`${column} #> ${where.param(path)}::text[] = ${where.param(json)}::jsonb`);
  }
  for (const value of containments) where.add(`${column} @> ${where.param(JSON.stringify(value))}::jsonb`);
}

/**
 * Rows the plain (B-tree) filters select, newest first, that are examined for the
 * JSON and text filters before asking the GIN indexes. PostgreSQL estimates every
 * jsonb containment at a fixed 0.1%, so on its own it picks a bitmap over all
 * matches and a sort even when a quarter of the rows match (seconds at 10M rows);
 * a common value fills its page inside this window instead, and a rare one falls
 * through to the GIN indexes, which are fast exactly when matches are few.
 */
export const SCAN_WINDOW = 2_000;

function buildConditions(
  query: SearchQuery,
  cursor: SearchCursor | undefined,
): { plain: Conditions; all: Conditions } {
  const build = (withContent: boolean) => {
    const where = new Conditions();
    if (query.queue !== undefined) where.add(`queue = ${where.param(query.queue)}`);
    if (query.type !== undefined) where.add(`type = ${where.param(query.type)}`);
    if (query.state !== undefined) where.add(`state = ${where.param(query.state)}`);
    if (query.from !== undefined) where.add(`finished_at >= ${where.param(query.from)}::timestamptz`);
    if (query.to !== undefined) {
      const to = where.param(query.to);
      // A job is created before it finishes: the same bound on created_at prunes later partitions.
      where.add(`finished_at < ${to}::timestamptz AND created_at < ${to}::timestamptz`);
    }
    if (cursor) {
      where.add(
        `(finished_at, id) < (${where.param(cursor.finishedAt)}::timestamptz, ${where.param(cursor.id)})`,
      );
    }
    if (withContent) {
      if (query.error !== undefined) {
        where.add(
          `to_tsvector('simple', coalesce(error_text, '')) @@ websearch_to_tsquery('simple', ${where.param(query.error)})`,
        );
      }
      addJsonFilters(where, "payload", query.payload, query.payloadContains);
      addJsonFilters(where, "result", query.result, query.resultContains);
    }
    return where;
  };
  return { plain: build(false), all: build(true) };
}

const whereClause = (where: Conditions) =>
  where.parts.length > 0 ? `WHERE ${where.parts.join(" AND ")}` : "";
const NEWEST_FIRST = "ORDER BY finished_at DESC, id DESC";

async function selectPage(
  db: SqlExecutor,
  query: SearchQuery,
  cursor: SearchCursor | undefined,
  limit: number,
): Promise<Record<string, unknown>[]> {
  const { all } = buildConditions(query, cursor);
  const sql = `SELECT ${SELECT_COLUMNS} FROM rq_archive_jobs ${whereClause(all)} ${NEWEST_FIRST} LIMIT ${all.param(limit)}`;
  return (await db.query(sql, all.params)).rows;
}

async function selectInWindow(
  db: SqlExecutor,
  query: SearchQuery,
  limit: number,
  scanWindow: number,
): Promise<{ rows: Record<string, unknown>[]; edge: SearchCursor | null }> {
  const { plain, all } = buildConditions(query, query.cursor);
  // The content filters apply to the window's rows only: the CTE is computed first, by the B-tree.
  // One statement returns the window's matches and, when the window was full, its oldest row: where
  // the GIN indexes take over.
  const contentParts = all.parts.slice(plain.parts.length);
  const window = all.param(scanWindow);
  const sql = `WITH w AS MATERIALIZED (
      SELECT * FROM rq_archive_jobs ${whereClause(plain)} ${NEWEST_FIRST} LIMIT ${window})
    SELECT * FROM (
      (SELECT ${SELECT_COLUMNS}, false AS window_edge FROM w WHERE ${contentParts.join(" AND ")}
        ${NEWEST_FIRST} LIMIT ${all.param(limit)})
      UNION ALL
      (SELECT ${SELECT_COLUMNS}, true AS window_edge FROM w
        WHERE (SELECT count(*) FROM w) = ${window} ORDER BY finished_at ASC, id ASC LIMIT 1)
    ) page ORDER BY window_edge, finished_at DESC, id DESC`;
  const { rows } = await db.query(sql, all.params);
  const edgeRow = rows.find((row) => row.window_edge === true);
  const edge = edgeRow
    ? { finishedAt: new Date(edgeRow.finished_at as string).toISOString(), id: edgeRow.id as string }
    : null;
  const hits = rows.filter((row) => row.window_edge !== true);
  return { rows: hits, edge: hits.length >= limit ? null : edge };
}

const hasContentFilters = (query: SearchQuery) =>
  query.error !== undefined ||
  (query.payload?.length ?? 0) + (query.result?.length ?? 0) > 0 ||
  (query.payloadContains?.length ?? 0) + (query.resultContains?.length ?? 0) > 0;

export async function searchJobs(
  db: SqlExecutor,
  query: SearchQuery,
  options: { scanWindow?: number } = {},
): Promise<SearchPage> {
  const wanted = query.limit + 1;
  let rows: Record<string, unknown>[];
  if (!hasContentFilters(query)) {
    rows = await selectPage(db, query, query.cursor, wanted);
  } else {
    const window = await selectInWindow(db, query, wanted, options.scanWindow ?? SCAN_WINDOW);
    rows = window.rows;
    // The window held fewer matches than a page and more rows follow it: the rest come from the GIN indexes.
    if (rows.length < wanted && window.edge) {
      rows = rows.concat(await selectPage(db, query, window.edge, wanted - rows.length));
    }
  }
  const items = rows.slice(0, query.limit).map(fromArchiveRow);
  const last = items.at(-1);
  return {
    items,
    nextCursor:
      rows.length > query.limit && last
        ? encodeCursor({ finishedAt: last.finishedAt as string, id: last.id })
        : null,
  };
}
