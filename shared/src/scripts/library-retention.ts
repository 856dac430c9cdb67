/**
 * Unloading the libraries of versions nothing runs any more. A deploy loads the new
 * version's libraries beside the old ones (each is named after its code, see
 * load-scripts.ts), and Redis keeps functions for good: in its RDB and AOF, on every
 * replica. Left alone, every upgrade would add about a megabyte of Lua to each master.
 *
 * Workers and control planes record that their version's libraries are in use
 * (`LIBRARIES_SEEN_KEY`: library name -> ms), at most once an hour
 * (`recordLibrariesInUse`, from the worker's heartbeat and the control plane's pruning
 * round); loading a library records nothing, so a request that changes nothing writes
 * nothing. `pruneLibraries` deletes, from every master, the R-queue libraries nobody
 * recorded for `unusedForMs`; one it finds unrecorded (loaded by another process, or
 * by a version from before this mechanism) starts its clock when first found. A
 * process still running a deleted library loses nothing: its next call finds the
 * function missing, loads it again and sends the call again (load-scripts.ts).
 * Libraries of other applications are never touched.
 */
import { LIBRARIES_SEEN_KEY } from "../keys.js";
import { masterNodes } from "../redis/master-nodes.js";
import { type RedisClient, SCRIPT_NAMES, scriptLibrary } from "./load-scripts.js";

/** How long a library nobody records stays loaded: past any rolling deploy, and a stalled one. */
const DEFAULT_LIBRARY_UNUSED_MS = 24 * 60 * 60 * 1_000;
const RECORD_EVERY_MS = 60 * 60 * 1_000;

// What load-scripts.ts names a library: rq_<script>_<16 hex digits of its code's hash>.
const OUR_LIBRARY = /^rq_[a-z0-9_]+_[0-9a-f]{16}$/;

const lastRecorded = new WeakMap<RedisClient, number>();

/** This version's library names. */
export function currentLibraryNames(): string[] {
  return SCRIPT_NAMES.map((script) => scriptLibrary(script).name);
}

/**
 * Records this version's libraries as in use, unless this connection did so within
 * the hour (or `force`). Resolves whether it wrote.
 */
export async function recordLibrariesInUse(
  redis: RedisClient,
  options: { now?: number; force?: boolean } = {},
): Promise<boolean> {
  const now = options.now ?? Date.now();
  const last = lastRecorded.get(redis);
  if (!options.force && last !== undefined && now - last < RECORD_EVERY_MS) return false;
  const fields = currentLibraryNames().flatMap((name) => [name, String(now)]);
  await redis.hset(LIBRARIES_SEEN_KEY, ...fields);
  lastRecorded.set(redis, now);
  return true;
}

type LibraryListing = [string, string, ...unknown[]][];

async function listOurLibraries(server: ReturnType<typeof masterNodes>[number]): Promise<string[]> {
  const listing = (await server.call("FUNCTION", "LIST", "LIBRARYNAME", "rq_*")) as LibraryListing;
  return listing.map((library) => String(library[1])).filter((name) => OUR_LIBRARY.test(name));
}

export interface PruneResult {
  /** Libraries deleted from every master that had them. */
  deleted: string[];
  /** Libraries found unrecorded, whose clock starts now. */
  noticed: string[];
}

/**
 * Deletes the R-queue libraries that no process recorded for `unusedForMs`, on every
 * master; this version's own are recorded first and always kept. Idempotent: any
 * number of processes may run it.
 */
export async function pruneLibraries(
  redis: RedisClient,
  options: { unusedForMs?: number; now?: number } = {},
): Promise<PruneResult> {
  const now = options.now ?? Date.now();
  const unusedForMs = options.unusedForMs ?? DEFAULT_LIBRARY_UNUSED_MS;
  await recordLibrariesInUse(redis, { now, force: true });
  const current = new Set(currentLibraryNames());
  const servers = masterNodes(redis);
  const listings = await Promise.all(servers.map((server) => listOurLibraries(server)));
  const found = new Set(listings.flat());
  // Small: this version's names, and those of versions seen within a day.
  const seen = await redis.hgetall(LIBRARIES_SEEN_KEY);
  const isOld = (at: string | undefined) => at !== undefined && now - Number(at) > unusedForMs;
  const noticed: string[] = [];
  const stale: string[] = [];
  for (const name of found) {
    if (current.has(name)) continue;
    if (seen[name] === undefined || !Number.isFinite(Number(seen[name]))) noticed.push(name);
    else if (isOld(seen[name])) stale.push(name);
  }
  // Records of libraries no master holds (a version recorded them but never loaded them all).
  const forgotten = Object.keys(seen).filter(
    (name) => !found.has(name) && !current.has(name) && isOld(seen[name]),
  );
  if (noticed.length > 0)
    await redis.hset(LIBRARIES_SEEN_KEY, ...noticed.flatMap((name) => [name, String(now)]));
  await Promise.all(
    servers.map((server, i) =>
      Promise.all(
        stale
          .filter((name) => listings[i]?.includes(name))
          .map((name) =>
            server.call("FUNCTION", "DELETE", name).catch((error: Error) => {
              // Another process deleted it first.
              if (!/not found/i.test(error.message)) throw error;
            }),
          ),
      ),
    ),
  );
  // Forgotten only once gone from every master: a round cut short deletes the rest next time.
  const dropped = [...stale, ...forgotten];
  if (dropped.length > 0) await redis.hdel(LIBRARIES_SEEN_KEY, ...dropped);
  return { deleted: stale, noticed };
}
