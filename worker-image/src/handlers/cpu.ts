/**
 * `cpu` {rounds}: deterministic CPU work, a SHA-256 hash chain of `rounds` links;
 * the same payload always gives the same digest. Runs in a worker thread, so a
 * job that runs too long is terminated rather than left burning a core.
 */
import { createHash } from "node:crypto";
import * as v from "valibot";
import { defineHandler } from "../handler-definition.js";

export default defineHandler({
  type: "cpu",
  payload: v.object({
    rounds: v.pipe(
      v.number("must be a number"),
      v.integer("must be an integer"),
      v.minValue(1),
      v.maxValue(1_000_000_000),
    ),
  }),
  isolation: "thread",
  handle(job) {
    let digest = Buffer.from(`rqueue:${job.payload.rounds}`);
    for (let round = 0; round < job.payload.rounds; round++) {
      digest = createHash("sha256").update(digest).digest();
    }
    return { rounds: job.payload.rounds, digest: digest.toString("hex") };
  },
});
