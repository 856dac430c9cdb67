/**
 * POST /v1/jobs: one job. 201 with the job; a repeated idempotency key (body field
 * or Idempotency-Key header) answers 200 with the original job and
 * `Idempotent-Replayed: true`. A `debounce` key that took the submission answers 200
 * with the key's job and `Debounced: replaced` (its payload, run time and expiry are
 * this submission's now) or `Debounced: dropped` (throttle). The engine's add script
 * makes the key checks and the write one atomic step, so concurrent duplicates still
 * create exactly one job.
 */
import { DEFAULT_QUEUE, LIMITS } from "@rqueue/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../app/app-env.js";
import type { AppServices } from "../../app/services.js";
import { offloadSubmittedPayload } from "../../blobs/offload-request.js";
import { unprocessable } from "../../http/api-error.js";
import { requireRole } from "../../http/auth.js";
import { readJsonObject } from "../../http/read-json.js";
import { describeRoute, errorResponse, ref } from "../openapi/describe-route.js";
import { parseJobInput } from "./job-input.js";

export function registerSubmitJob(router: Hono<AppEnv>, services: AppServices): void {
  router.post(
    "/",
    describeRoute({
      operationId: "submitJob",
      summary: "Submit a job",
      description:
        "A repeated idempotency key (the body's `idempotencyKey` or the `Idempotency-Key` header) within 24 h " +
        "answers 200 with the original job; with a different body it answers 409. A `debounce` key within its " +
        "window answers 200 with the key's job and the `Debounced` header: `replaced` (debounce: the waiting " +
        "job now has this payload, run time and expiry) or `dropped` (throttle). `expireAfterMs`/`expiresAt` " +
        "cancel the job with reason `expired` if it has not started by then. Payloads are at most 512 KiB.",
      tag: "Jobs",
      access: "submit",
      headers: {
        "Idempotency-Key": {
          description: "Same as the body's idempotencyKey (they must agree when both are sent)",
          schema: { type: "string", maxLength: LIMITS.idempotencyKeyChars },
        },
      },
      body: { schema: ref("JobInput"), required: true },
      responses: {
        "201": {
          description: "Created",
          schema: ref("Job"),
          headers: { Location: { description: "/v1/jobs/{id}" } },
        },
        "200": {
          description:
            "The idempotency key was seen before with the same body: the original job; or a debounce key " +
            "took the submission: the key's job",
          schema: ref("Job"),
          headers: {
            "Idempotent-Replayed": { description: "true" },
            Debounced: {
              description:
                "`replaced` (debounce: the waiting job took this submission) or `dropped` (throttle)",
            },
          },
        },
        "409": errorResponse(
          "The idempotency key was used before with a different body (both fingerprints in the error)",
        ),
        "429": errorResponse(
          "Over the key's submit rate (`rate_limited`, Retry-After), or the queue's memory budget RQ_QUEUE_MAX_BYTES " +
            "cannot take the job (`queue_full`: queue, maxBytes, bytes; nothing written)",
        ),
      },
    }),
    requireRole("submit"),
    async (c) => {
      const body = (await readJsonObject(c)) as Record<string, unknown>;
      const headerKey = c.req.header("idempotency-key");
      if (headerKey !== undefined) {
        if (body.idempotencyKey !== undefined && body.idempotencyKey !== headerKey) {
          throw unprocessable([
            {
              path: "idempotencyKey",
              message: "differs from the Idempotency-Key header; send one or make them equal",
            },
          ]);
        }
        body.idempotencyKey = headerKey;
      }
      const payload = body.payload; // as sent, before a large one is moved to the blob store
      await offloadSubmittedPayload(services.blobs, body, "");
      const input = parseJobInput(body);
      const queue = c.var.queues.get(input.queue ?? DEFAULT_QUEUE);
      await services.types.assertAccepted(queue.name, [
        { type: input.type, payload: payload === undefined ? {} : payload, prefix: "" },
      ]);
      const { job, created, debounced } = await queue.submit(input);
      c.header("Location", `/v1/jobs/${job.id}`);
      if (debounced) c.header("Debounced", debounced);
      else if (!created) c.header("Idempotent-Replayed", "true");
      return c.json(job, created ? 201 : 200);
    },
  );
}
