/**
 * Parsing Redis INFO, and the two Redis CPU figures the bench reports:
 *   - main-thread CPU (INFO cpu, user + sys of the main thread): everything Redis
 *     spends, network I/O and the event loop included;
 *   - command time (INFO commandstats usec). Commands a Lua script or MULTI/EXEC
 *     runs are counted inside their EVALSHA/EXEC *and* again under their own names,
 *     so summing every line would count them twice. `commandMicros` sums scripts,
 *     transactions and blocking waits — what the three systems send per job. INFO
 *     cannot tell a direct HGET from one a script ran, so direct non-blocking
 *     commands (the bench's own polling among them) are left out of this figure.
 */

export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith("#")) continue;
    const at = line.indexOf(":");
    if (at > 0) out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}

export interface CommandStat {
  calls: number;
  usec: number;
}

/** `cmdstat_evalsha:calls=3,usec=120,...` → `{evalsha: {calls: 3, usec: 120}}`. */
export function parseCommandStats(info: Record<string, string>): Record<string, CommandStat> {
  const out: Record<string, CommandStat> = {};
  for (const [key, value] of Object.entries(info)) {
    if (!key.startsWith("cmdstat_")) continue;
    const fields = Object.fromEntries(value.split(",").map((pair) => pair.split("=") as [string, string]));
    out[key.slice("cmdstat_".length)] = { calls: Number(fields.calls ?? 0), usec: Number(fields.usec ?? 0) };
  }
  return out;
}

const OUTER = new Set([
  "eval",
  "evalsha",
  "eval_ro",
  "evalsha_ro",
  "fcall",
  "fcall_ro",
  "exec",
  "bzpopmin",
  "bzpopmax",
  "bzmpop",
  "blpop",
  "brpop",
  "blmpop",
  "brpoplpush",
  "blmove",
  "xread",
  "xreadgroup",
]);

/** Microseconds of the commands clients send per job (scripts and transactions with what runs inside them). */
export function commandMicros(stats: Record<string, CommandStat>): number {
  return Object.entries(stats)
    .filter(([name]) => OUTER.has(name))
    .reduce((sum, [, stat]) => sum + stat.usec, 0);
}

/** Main-thread CPU seconds so far (falls back to the process total on Redis before 6.2). */
export function mainThreadCpuSeconds(cpu: Record<string, string>): number {
  const user = cpu.used_cpu_user_main_thread ?? cpu.used_cpu_user ?? "0";
  const sys = cpu.used_cpu_sys_main_thread ?? cpu.used_cpu_sys ?? "0";
  return Number(user) + Number(sys);
}
