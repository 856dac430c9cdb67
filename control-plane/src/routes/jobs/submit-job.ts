/**
 * POST /v1/jobs: one job. 201 with the job; a repeated idempotency key (body field
 * or Idempotency-Key header) answers 200 with the original job and
 * `Idempotent-Replayed: true`. The engine's add script makes the key check and the
 * write one atomic step, so concurrent duplicates still create exactly one job.
 */
import { DEFAULT_QUEUE } from "@rqueue/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../app/app-env.js";
import type { AppServices } from "../../app/services.js";
import { offloadSubmittedPayload } from "../../blobs/offload-request.js";
import { unprocessable } from "../../http/api-error.js";
import { requireRole } from "../../http/auth.js";
import { readJsonObject } from "../../http/read-json.js";
import { parseJobInput } from "./job-input.js";

export function registerSubmitJob(router: Hono<AppEnv>, services: AppServices): void {
  router.post("/", requireRole("submit"), async (c) => {
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
    await offloadSubmittedPayload(services.blobs, body, "");
    const input = parseJobInput(body);
    const queue = services.queues.get(input.queue ?? DEFAULT_QUEUE);
    const { job, created } = await queue.submit(input);
    c.header("Location", `/v1/jobs/${job.id}`);
    if (!created) c.header("Idempotent-Replayed", "true");
    return c.json(job, created ? 201 : 200);
  });
}
