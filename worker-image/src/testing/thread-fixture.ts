/**
 * Test fixture: a thread-isolated handler that uses its context (log, progress,
 * including a refused progress value, its parents' results) from inside the
 * worker thread.
 */
import { isMainThread } from "node:worker_threads";
import * as v from "valibot";
import { defineHandler } from "../handler-definition.js";

export default defineHandler({
  type: "thread-fixture",
  payload: v.object({}),
  isolation: "thread",
  async handle(job, ctx) {
    ctx.log(`attempt ${ctx.attempt} in a worker thread`);
    await ctx.progress(50, { step: "half" });
    const refused = await ctx.progress(150).then(
      () => null,
      (error: Error) => error.message,
    );
    return { isMainThread, refused, parentIds: job.parentIds, parents: await ctx.parentResults() };
  },
});
