/**
 * `sleep` {ms}: waits, reporting progress as it goes (about every tenth, at most
 * every 100 ms so short sleeps stay cheap). Stops at once when aborted.
 */
import { setTimeout as delay } from "node:timers/promises";
import * as v from "valibot";
import { defineHandler } from "../handler-definition.js";

export default defineHandler({
  type: "sleep",
  payload: v.object({
    ms: v.pipe(
      v.number("must be a number"),
      v.integer("must be an integer"),
      v.minValue(0),
      v.maxValue(86_400_000),
    ),
  }),
  async handle(job, ctx) {
    const { ms } = job.payload;
    const steps = Math.min(10, Math.max(1, Math.floor(ms / 100)));
    ctx.log(`sleeping ${ms} ms`);
    for (let step = 1; step <= steps; step++) {
      await delay(ms / steps, undefined, { signal: ctx.signal });
      if (step < steps) await ctx.progress(Math.round((100 * step) / steps));
    }
    ctx.log("woke up");
    return { sleptMs: ms };
  },
});
