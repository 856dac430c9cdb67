/**
 * The servers a command meant for every node goes to: a standalone client's own
 * connection, or a Cluster client's masters (replicas receive what theirs do).
 */
import { Cluster, type Redis } from "ioredis";
import type { RedisClient } from "../scripts/load-scripts.js";

export function masterNodes(redis: RedisClient): Redis[] {
  return redis instanceof Cluster ? redis.nodes("master") : [redis];
}
