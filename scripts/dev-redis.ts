/**
 * The embedded redis-server `make dev` starts when no Redis answers: its
 * arguments (data under .data/redis, AOF everysec, noeviction) with the server's
 * own log, banner included, in a file beside the data, so the console shows only
 * the stack's lines.
 */
import { join } from "node:path";

export const REDIS_LOG_FILE = "redis.log";

export function embeddedRedisArgs(port: number, dir: string): string[] {
  return [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--appendonly",
    "yes",
    "--appendfsync",
    "everysec",
    "--save",
    "",
    "--maxmemory-policy",
    "noeviction",
    "--logfile",
    join(dir, REDIS_LOG_FILE),
  ];
}
