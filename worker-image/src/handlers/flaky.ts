/**
 * `flaky` {failureRate, ms?}: optionally waits `ms`, then fails with probability
 * `failureRate` (0: never, 1: always). Exercises retries and circuit breakers.
 */
import { setTimeout as delay } from "node:timers/promises";
import * as v from "valibot";
import { defineHandler } from "../handler-definition.js";

export default defineHandler({
  type: "flaky",
  payload: v.object({
    failureRate: v.pipe(v.number("must be a number"), v.minValue(0), v.maxValue(1)),
    ms: v.optional(v.pipe(v.number("must be a number"), v.integer(), v.minValue(0), v.maxValue(86_400_000))),
  }),
  async handle(job, ctx) {
    if (job.payload.ms) await delay(job.payload.ms, undefined, { signal: ctx.signal });
    if (Math.random() < job.payload.failureRate) {
      throw new Error(`flaky failure (failure rate ${job.payload.failureRate})`);
    }
    return { ok: true };
  },
});
