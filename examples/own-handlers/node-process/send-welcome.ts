/**
 * A handler of one's own: `send-welcome` {email, name?}. The payload schema
 * (valibot) types `job.payload` and refuses bad payloads before the handler
 * runs; the return value becomes the job's result.
 */
import { defineHandler } from "@rqueue/worker";
import * as v from "valibot";

export const sendWelcome = defineHandler({
  type: "send-welcome",
  payload: v.object({ email: v.pipe(v.string(), v.email()), name: v.optional(v.string()) }),
  timeoutMs: 10_000,
  retry: { maxAttempts: 5 },
  async handle(job, ctx) {
    ctx.log(`welcoming ${job.payload.email}`);
    // A real handler would call the mail provider here, passing ctx.signal so a cancel stops it.
    return { to: job.payload.email, subject: `Welcome${job.payload.name ? `, ${job.payload.name}` : ""}!` };
  },
});
