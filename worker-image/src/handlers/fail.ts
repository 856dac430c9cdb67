/**
 * `fail` {message?, unrecoverable?}: always fails; unrecoverable dead-letters at
 * once. No circuit breaker: failing is this type's job, not an outage.
 */
import { UnrecoverableError } from "@rqueue/shared";
import * as v from "valibot";
import { defineHandler } from "../handler-definition.js";

export default defineHandler({
  type: "fail",
  payload: v.object({
    message: v.optional(v.pipe(v.string("must be a string"), v.maxLength(2_000))),
    unrecoverable: v.optional(v.boolean("must be a boolean")),
  }),
  circuitBreaker: false,
  handle(job) {
    const message = job.payload.message ?? "failed on purpose";
    throw job.payload.unrecoverable ? new UnrecoverableError(message) : new Error(message);
  },
});
