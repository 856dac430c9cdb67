/**
 * Loads the Lua scripts: resolves `--!include` lines, registers each script on a
 * connection with ioredis's defineCommand (EVALSHA, falling back to EVAL when Redis
 * answers NOSCRIPT, e.g. after a restart), and gives them typed call sites.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Cluster, Redis } from "ioredis";

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

/** Every script takes the same six fixed keys of its queue (see includes/keys.lua). */
export const SCRIPT_KEY_COUNT = 6;

const INCLUDE = /^--!include (\S+)\s*$/gm;

function readScript(file: string, seen = new Set<string>()): string {
  const source = readFileSync(join(SCRIPT_DIR, file), "utf8");
  return source.replace(INCLUDE, (_line, included: string) => {
    if (seen.has(included)) return "";
    seen.add(included);
    return readScript(included, seen);
  });
}

const sources = new Map<ScriptName, string>();
export function scriptSource(name: ScriptName): string {
  let source = sources.get(name);
  if (!source) {
    source = readScript(`${name}.lua`);
    sources.set(name, source);
  }
  return source;
}

/** Which script an EVALSHA ran, e.g. to read SLOWLOG entries. */
export function scriptNameBySha(sha: string): ScriptName | undefined {
  return SCRIPT_NAMES.find((name) => createHash("sha1").update(scriptSource(name)).digest("hex") === sha);
}

export type RedisClient = Redis | Cluster;
type ScriptCall = (keys: string[], args: (string | number)[]) => Promise<unknown>;

const registered = new WeakSet<RedisClient>();
/** Registers the scripts once per connection and returns a caller. */
export function scriptRunner(
  redis: RedisClient,
): (name: ScriptName, keys: string[], args: (string | number)[]) => Promise<unknown> {
  if (!registered.has(redis)) {
    for (const name of SCRIPT_NAMES) {
      redis.defineCommand(commandName(name), { numberOfKeys: SCRIPT_KEY_COUNT, lua: scriptSource(name) });
    }
    registered.add(redis);
  }
  return (name, keys, args) => {
    const call = (redis as unknown as Record<string, ScriptCall>)[commandName(name)];
    if (!call) throw new Error(`script ${name} is not registered`);
    return call.call(redis, keys, args);
  };
}

/** ioredis command names, built once: the hot path calls a script per batch of jobs. */
const COMMAND_NAMES = new Map(SCRIPT_NAMES.map((name) => [name, `rq_${name.replaceAll("-", "_")}`]));
const commandName = (name: ScriptName) => COMMAND_NAMES.get(name) as string;

/**
 * Runs a script and then `WAIT replicas timeoutMs` in one pipeline, so WAIT runs on the
 * connection (on Cluster: the node) that ran the script. Resolves with the script's
 * reply and how many replicas acknowledged every write of that connection so far (0
 * when WAIT itself failed). Scripts must be registered (scriptRunner) first.
 */
export async function runScriptAcked(
  redis: RedisClient,
  name: ScriptName,
  keys: string[],
  args: (string | number)[],
  replicas: number,
  timeoutMs: number,
): Promise<[reply: unknown, acknowledged: number]> {
  const pipeline = redis.pipeline() as unknown as Record<string, ScriptCall> & {
    call(...args: (string | number)[]): unknown;
    exec(): Promise<[Error | null, unknown][] | null>;
  };
  const call = pipeline[commandName(name)];
  if (!call) throw new Error(`script ${name} is not registered`);
  call.call(pipeline, keys, args);
  pipeline.call("WAIT", replicas, timeoutMs);
  const [script, wait] = (await pipeline.exec()) ?? [];
  if (!script) throw new Error("pipeline answered nothing");
  if (script[0]) throw script[0];
  return [script[1], wait && !wait[0] ? Number(wait[1]) : 0];
}
