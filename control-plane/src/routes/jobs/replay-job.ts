/**
 * POST /v1/jobs/:id/replay: a new job from this one with edits (payload,
 * priority, maxAttempts, delayMs); 201 with the new job, which names the original
 * in `replayOf`. Needs the submit role: it adds a job and changes none.
 */
import { parseJobId, replayJob } from "@rqueue/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../app/app-env.js";
import type { AppServices } from "../../app/services.js";
import { requireRole } from "../../http/auth.js";
import { readJsonObject } from "../../http/read-json.js";
import { describeRoute, errorResponse, JOB_ID_PARAM, ref } from "../openapi/describe-route.js";

export function registerReplayJob(router: Hono<AppEnv>, services: AppServices): void {
  router.post(
    "/:id/replay",
    describeRoute({
      operationId: "replayJob",
      summary: "Replay a job: a new job of the same type and queue, with edits",
      description: "The new job records the original in `replayOf`.",
      tag: "Jobs",
      access: "submit",
      params: { id: JOB_ID_PARAM },
      body: { schema: ref("ReplayInput"), required: false },
      responses: {
        "201": { description: "The new job", schema: ref("Job") },
        "404": errorResponse("No such job"),
        "422": errorResponse("Not a job id, or bad edits"),
        "429": errorResponse(
          "The queue's memory budget cannot take the new job (`queue_full`, nothing written)",
        ),
      },
    }),
    requireRole("submit"),
    async (c) => {
      const id = c.req.param("id");
      const queue = c.var.queues.get(parseJobId(id).queue);
      const edits = (await readJsonObject(c, { optional: true })) ?? {};
      return c.json(await replayJob(services.redis, queue, id, edits), 201);
    },
  );
}
