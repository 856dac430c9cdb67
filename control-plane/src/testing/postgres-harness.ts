/**
 * Real-PostgreSQL test harness: a throwaway database per test file on a real
 * server. It uses RQ_TEST_POSTGRES_URL when set, else the machine's server on
 * 127.0.0.1:5432 (user postgres) when one answers, else starts its own with
 * Debian's initdb/pg_ctl on a free port in a temporary directory (as the
 * `postgres` user when running as root, which initdb refuses), stopped when the
 * process exits. The database is never mocked.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "../../../shared/test/redis-harness.js";

const MACHINE_URL = "postgres://postgres@127.0.0.1:5432/postgres";
let adminUrl: Promise<string> | undefined;

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

function findBinary(name: string): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const path = join(root, version, "bin", name);
    if (existsSync(path)) return path;
  }
  const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).stdout.trim();
  if (found) return found;
  throw new Error(
    `${name} not found: run \`make test\` (which installs postgresql) or apt-get install postgresql`,
  );
}

async function startOwnServer(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "rq-pg-"));
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const uid = asRoot
    ? Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim())
    : undefined;
  const gid = asRoot
    ? Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim())
    : undefined;
  if (uid !== undefined && gid !== undefined) chownSync(dir, uid, gid);
  const run = (binary: string, args: string[]) =>
    execFileSync(findBinary(binary), args, { uid, gid, stdio: "pipe", cwd: dir, timeout: 60_000 });
  const data = join(dir, "data");
  run("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  run("pg_ctl", ["-D", data, "-o", options, "-l", join(dir, "log"), "-w", "start"]);
  process.once("exit", () => {
    try {
      run("pg_ctl", ["-D", data, "-m", "immediate", "stop"]);
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  });
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}

/** The URL of a server tests may create databases on. */
export function postgresAdminUrl(): Promise<string> {
  adminUrl ??= (async () => {
    const configured = process.env.RQ_TEST_POSTGRES_URL;
    if (configured) return configured;
    if (await answers(MACHINE_URL)) return MACHINE_URL;
    return startOwnServer();
  })();
  return adminUrl;
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A new, empty database on the test server; drop() removes it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const admin = await postgresAdminUrl();
  const name = `rq_test_${process.pid}_${randomUUID().slice(0, 8)}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const dropper = new pg.Client({ connectionString: admin });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
}
