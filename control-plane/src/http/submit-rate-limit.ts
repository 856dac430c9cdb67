/**
 * Rate limit per API key on submits (RQ_SUBMIT_RATE jobs per second, bursts of
 * RQ_SUBMIT_BURST): a token bucket kept in Redis, so every control plane behind
 * the load balancer draws from the same bucket. A job costs one token, a batch
 * one per job. Over the limit: 429 with Retry-After, nothing written. The bucket
 * is keyed by the key's name (never its secret); in open mode by "anonymous".
 */
import { type RedisClient, submitRateKey } from "@rqueue/shared";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app/app-env.js";
import { ApiError } from "./api-error.js";
import { readJsonObject } from "./read-json.js";

export interface SubmitRate {
  /** Jobs per second per key; 0 turns the limit off. */
  perSecond: number;
  /** Jobs a key may submit at once after a quiet spell (the bucket's size). */
  burst: number;
}

const SCRIPT = `--[[
  submit-rate: takes tokens from a key's bucket, refilled at a steady rate.

  KEYS[1]  the bucket: hash of t (tokens left) and u (when t was computed, ms, Redis TIME)
  ARGV[1]  rate: tokens per second (> 0)
  ARGV[2]  burst: the bucket's size (>= 1)
  ARGV[3]  cost: tokens this request takes (1 <= cost <= burst)

  Returns { 1, 0 } when the tokens were taken, { 0, ms } when not (nothing taken;
  ms until enough have refilled), -1 for invalid arguments (nothing written).
]]
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
if not rate or rate <= 0 or not burst or burst < 1 or not cost or cost < 1 or cost > burst then
  return -1
end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 't', 'u')
local tokens = tonumber(state[1]) or burst
local updated = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate / 1000)
if tokens < cost then
  return { 0, math.ceil((cost - tokens) * 1000 / rate) }
end
redis.call('HSET', KEYS[1], 't', tostring(tokens - cost), 'u', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return { 1, 0 }
`;

type RateClient = RedisClient & {
  rqSubmitRate(key: string, rate: number, burst: number, cost: number): Promise<number | [number, number]>;
};

export function submitRateLimit(redis: RedisClient, rate: SubmitRate): MiddlewareHandler<AppEnv> {
  const client = redis as RateClient;
  if (rate.perSecond > 0 && typeof client.rqSubmitRate !== "function") {
    redis.defineCommand("rqSubmitRate", { numberOfKeys: 1, lua: SCRIPT });
  }
  return async (c, next) => {
    if (rate.perSecond <= 0 || c.req.method !== "POST") return next();
    const batch = c.req.path.endsWith("/batch");
    const jobs = batch ? (await readJsonObject(c))?.jobs : undefined;
    const cost = Array.isArray(jobs) ? Math.max(jobs.length, 1) : 1;
    if (cost > rate.burst) {
      throw new ApiError(
        429,
        "rate_limited",
        `a batch of ${cost} jobs exceeds this key's burst of ${rate.burst}; send smaller batches`,
      );
    }
    const key = submitRateKey(c.get("principal").name);
    const reply = await client.rqSubmitRate(key, rate.perSecond, rate.burst, cost);
    if (typeof reply === "number") throw new Error(`submit-rate script refused its arguments (${reply})`);
    if (reply[0] !== 1) {
      const seconds = Math.max(1, Math.ceil(reply[1] / 1000));
      throw new ApiError(
        429,
        "rate_limited",
        `this key may submit ${rate.perSecond} jobs per second (bursts of ${rate.burst}); retry in ${seconds} s`,
        [],
        { "Retry-After": String(seconds) },
      );
    }
    return next();
  };
}
