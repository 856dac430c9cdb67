/**
 * Loads the Lua scripts as Redis Functions: each script is a library of its own
 * (includes/call.lua, its `--!include`s resolved, its body as the one registered
 * function), named after a hash of its code, so versions of R-queue running side by
 * side during a deploy call each their own. A library's chunk (every include's
 * functions) runs once at FUNCTION LOAD; as EVAL scripts it ran on every call, which
 * cost settle-and-take about 45 µs of Redis's time per call. Libraries are loaded
 * when Redis answers that a function is missing (a new server, a restart without
 * persistence, a new Cluster master), then the call is sent again: it had not run.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Cluster, Redis } from "ioredis";
import { RQueueError } from "../errors.js";
import { masterNodes } from "../redis/master-nodes.js";

const SCRIPT_DIR = dirname(fileURLToPath(import.meta.url));

export const SCRIPT_NAMES = [
  "add-jobs",
  "settle-and-take",
  "extend-leases",
  "update-progress",
  "release-jobs",
  "maintain-queue",
  "cancel-job",
  "retry-job",
  "remove-job",
  "retry-dead-letter",
  "purge-dead-letter",
  "list-jobs",
  "count-jobs",
  "read-queue-gauges",
  "append-job-log",
  "read-circuit-breakers",
  "reset-circuit-breaker",
  "link-replay",
  "rollup-stats",
  "read-dead-letters",
  "archive-progress",
  "set-flow-limit",
  "read-flow-state",
  "due-schedules",
  "schedule-write",
  "schedule-advance",
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

const INCLUDE = /^--!include (\S+)\s*$/gm;

function resolveIncludes(source: string, seen: Set<string>): string {
  return source.replace(INCLUDE, (_line, included: string) => {
    if (seen.has(included)) return "";
    seen.add(included);
    return resolveIncludes(readFileSync(join(SCRIPT_DIR, included), "utf8"), seen);
  });
}

/** Scripts that only read: allowed when Redis is out of memory, as reads are. */
const READ_ONLY = new Set<ScriptName>([
  "list-jobs",
  "count-jobs",
  "read-queue-gauges",
  "read-dead-letters",
  "read-flow-state",
  "read-circuit-breakers",
  "due-schedules",
]);

export interface ScriptLibrary {
  /** The library's name, also the name of its one function. */
  readonly name: string;
  readonly code: string;
}

/**
 * The library of one script: the includes at the top of its file make the chunk, the
 * rest of the file is the body of its function, after the call's set-up.
 */
function buildLibrary(script: ScriptName): ScriptLibrary {
  const file = readFileSync(join(SCRIPT_DIR, `${script}.lua`), "utf8");
  const lines = file.split("\n");
  let last = -1;
  lines.forEach((line, index) => {
    if (/^--!include /.test(line)) last = index;
  });
  const chunk = resolveIncludes(
    ["--!include includes/call.lua", ...lines.slice(0, last + 1)].join("\n"),
    new Set(),
  );
  const functionBody = lines.slice(last + 1).join("\n");
  const flags = READ_ONLY.has(script) ? "{ 'no-writes' }" : "{}";
  const unnamed = `${chunk}
redis.register_function{ function_name = '@NAME@', flags = ${flags}, callback = function(keys, args)
  local refused = begin_call(keys, args)
  if refused then return refused end
${functionBody}
end }
`;
  const hash = createHash("sha1").update(unnamed).digest("hex").slice(0, 16);
  const name = `rq_${script.replaceAll("-", "_")}_${hash}`;
  return { name, code: `#!lua name=${name}\n${unnamed.replace("@NAME@", name)}` };
}

const libraries = new Map<ScriptName, ScriptLibrary>();
export function scriptLibrary(script: ScriptName): ScriptLibrary {
  let library = libraries.get(script);
  if (!library) {
    library = buildLibrary(script);
    libraries.set(script, library);
  }
  return library;
}

/** Which script a function is, e.g. to read SLOWLOG entries (`FCALL <name> …`). */
export function scriptNameOfFunction(name: string): ScriptName | undefined {
  return SCRIPT_NAMES.find((script) => scriptLibrary(script).name === name);
}

export type RedisClient = Redis | Cluster;

const isFunctionMissing = (error: unknown): boolean =>
  error instanceof Error && error.message.startsWith("ERR Function not found");
// Redis before 7.0 (or one that renamed the command away) has no FCALL.
const lacksFunctions = (error: unknown): boolean =>
  error instanceof Error && /^ERR unknown command .?fcall/i.test(error.message);

/** One load per library and connection at a time, however many calls found it missing. */
const loading = new WeakMap<RedisClient, Map<string, Promise<void>>>();

/** FUNCTION LOAD on the server, or on every Cluster master (replicas receive it from theirs). */
function loadLibrary(redis: RedisClient, library: ScriptLibrary): Promise<void> {
  let inFlight = loading.get(redis);
  if (!inFlight) {
    inFlight = new Map();
    loading.set(redis, inFlight);
  }
  const pending = inFlight.get(library.name);
  if (pending) return pending;
  const load = Promise.all(
    masterNodes(redis).map((server) =>
      server.call("FUNCTION", "LOAD", library.code).then(
        () => undefined,
        (error: Error) => {
          // Another process (or call) loaded it first.
          if (!/already exists/.test(error.message)) throw error;
        },
      ),
    ),
  )
    .then(() => undefined)
    .finally(() => inFlight.delete(library.name));
  inFlight.set(library.name, load);
  return load;
}

/** Calls `send` and, when the server lacks the script's library, loads it and calls again. */
async function withLibrary<T>(
  redis: RedisClient,
  script: ScriptName,
  send: (name: string) => Promise<T>,
): Promise<T> {
  const library = scriptLibrary(script);
  try {
    return await send(library.name);
  } catch (error) {
    if (lacksFunctions(error)) {
      throw new RQueueError(
        "redis_too_old",
        "R-queue runs its scripts as Redis Functions (FCALL), which this Redis server does not have: it needs Redis 7.0 or later",
      );
    }
    if (!isFunctionMissing(error)) throw error;
    await loadLibrary(redis, library);
    return send(library.name);
  }
}

type FunctionCall = (name: string, numberOfKeys: number, ...rest: (string | number)[]) => Promise<unknown>;

/** A caller of the scripts on one connection. */
export function scriptRunner(
  redis: RedisClient,
): (name: ScriptName, keys: string[], args: (string | number)[]) => Promise<unknown> {
  const fcall = redis.fcall as unknown as FunctionCall;
  return (script, keys, args) =>
    withLibrary(redis, script, (name) => fcall.call(redis, name, keys.length, ...keys, ...args));
}

/**
 * Runs a script and then `WAIT replicas timeoutMs` in one pipeline, so WAIT runs on the
 * connection (on Cluster: the node) that ran the script. Resolves with the script's
 * reply and how many replicas acknowledged every write of that connection so far (0
 * when WAIT itself failed).
 */
export function runScriptAcked(
  redis: RedisClient,
  script: ScriptName,
  keys: string[],
  args: (string | number)[],
  replicas: number,
  timeoutMs: number,
): Promise<[reply: unknown, acknowledged: number]> {
  return withLibrary(redis, script, async (name) => {
    const pipeline = redis.pipeline();
    (pipeline.fcall as unknown as FunctionCall).call(pipeline, name, keys.length, ...keys, ...args);
    pipeline.call("WAIT", replicas, timeoutMs);
    const [reply, wait] = (await pipeline.exec()) ?? [];
    if (!reply) throw new Error("pipeline answered nothing");
    if (reply[0]) throw reply[0];
    return [reply[1], wait && !wait[0] ? Number(wait[1]) : 0];
  });
}
