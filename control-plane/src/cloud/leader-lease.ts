/**
 * A leader lease in Redis: at most one holder at a time, lost automatically when
 * the holder stops renewing (crash, partition). Acquire and renew are one atomic
 * step; release only deletes the lease if this process still holds it.
 */
import { randomUUID } from "node:crypto";
import type { RedisClient } from "@rqueue/shared";

const ACQUIRE_OR_RENEW = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export class LeaderLease {
  readonly holderId: string;

  constructor(
    private readonly redis: RedisClient,
    private readonly key: string,
    private readonly ttlMs: number,
    holderId?: string,
  ) {
    this.holderId = holderId ?? randomUUID();
  }

  /** True when this process holds the lease for another `ttlMs` from now. */
  async acquireOrRenew(): Promise<boolean> {
    const reply = await this.redis.eval(ACQUIRE_OR_RENEW, 1, this.key, this.holderId, this.ttlMs);
    return reply === 1;
  }

  async release(): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key, this.holderId);
  }
}
