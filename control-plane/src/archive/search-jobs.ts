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

export async function searchJobs(db: SqlExecutor, query: SearchQuery): Promise<SearchPage> {
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
  if (query.error !== undefined) {
    where.add(
      `to_tsvector('simple', coalesce(error_text, '')) @@ websearch_to_tsquery('simple', ${where.param(query.error)})`,
    );
  }
  addJsonFilters(where, "payload", query.payload, query.payloadContains);
  addJsonFilters(where, "result", query.result, query.resultContains);
  if (query.cursor) {
    where.add(
      `(finished_at, id) < (${where.param(query.cursor.finishedAt)}::timestamptz, ${where.param(query.cursor.id)})`,
    );
  }
  const sql = `SELECT ${SELECT_COLUMNS} FROM rq_archive_jobs
    ${where.parts.length > 0 ? `WHERE ${where.parts.join(" AND ")}` : ""}
    ORDER BY finished_at DESC, id DESC LIMIT ${where.param(query.limit + 1)}`;
  const { rows } = await db.query(sql, where.params);
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
