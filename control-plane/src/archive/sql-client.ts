/**
 * The one query layer the archive uses, over either a real PostgreSQL server
 * (`pg` pool, for RQ_ARCHIVE_URL=postgres://…) or an embedded PGlite with its data
 * in a local directory (`make dev`). Both speak the same SQL with `$n`
 * parameters, so every storage operation is written once against this interface.
 */
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import pg from "pg";

export interface SqlResult<Row> {
  rows: Row[];
  rowCount: number;
}

export interface SqlExecutor {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<SqlResult<Row>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface SqlClient extends SqlExecutor {
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** "postgres" or "pglite", for logs and metrics. */
  readonly kind: "postgres" | "pglite";
  close(): Promise<void>;
}

// BIGINT (int8) comes back as a string by default; archive counters and sizes fit a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

const statementNames = new Map<string, string>();
const MAX_STATEMENTS = 2_000;

/** A stable name per SQL text (the search builds a bounded set of shapes). */
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (!name) {
    name = `rq_${createHash("sha1").update(sql).digest("hex").slice(0, 16)}`;
    if (statementNames.size < MAX_STATEMENTS) statementNames.set(sql, name);
  }
  return name;
}

export function createPostgresClient(url: string, opts: { max?: number } = {}): SqlClient {
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10 });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on("error", () => {});
  const run = async <Row>(executor: pg.Pool | pg.PoolClient, sql: string, params?: unknown[]) => {
    // Named (prepared) per connection: planning a query over a month of daily partitions costs more
    // than running it, and a prepared statement is planned once, then reused.
    const result = params
      ? await executor.query({ name: statementName(sql), text: sql, values: params })
      : await executor.query(sql);
    return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
  };
  return {
    kind: "postgres",
    query: (sql, params) => run(pool, sql, params),
    exec: async (sql) => {
      await pool.query(sql);
    },
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const value = await work({
          query: (sql, params) => run(client, sql, params),
          exec: async (sql) => {
            await client.query(sql);
          },
        });
        await client.query("COMMIT");
        return value;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/** Embedded PostgreSQL (WebAssembly): `dataDir` persists across restarts; null keeps it in memory. */
export async function createPgliteClient(dataDir: string | null): Promise<SqlClient> {
  const { PGlite } = await import("@electric-sql/pglite");
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const db = dataDir ? new PGlite(dataDir) : new PGlite();
  await db.waitReady;
  // PGlite has one connection: transactions are serialized so a query never joins someone else's.
  let chain: Promise<unknown> = Promise.resolve();
  const serialized = <T>(work: () => Promise<T>): Promise<T> => {
    const next = chain.then(work, work);
    chain = next.catch(() => {});
    return next;
  };
  const run = async <Row>(
    executor: Pick<typeof db, "query">,
    sql: string,
    params?: unknown[],
  ): Promise<SqlResult<Row>> => {
    const result = await executor.query<Row>(sql, params);
    return { rows: result.rows, rowCount: result.rows.length || (result.affectedRows ?? 0) };
  };
  return {
    kind: "pglite",
    query: (sql, params) => serialized(() => run(db, sql, params)),
    exec: (sql) => serialized(async () => void (await db.exec(sql))),
    transaction: (work) =>
      serialized(() =>
        db.transaction((tx) =>
          work({
            query: (sql, params) => run(tx, sql, params),
            exec: async (sql) => void (await tx.exec(sql)),
          }),
        ),
      ),
    close: () => db.close(),
  };
}
