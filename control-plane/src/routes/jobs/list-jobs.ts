/**
 * GET /v1/jobs: one page of a queue's jobs in one state, newest first, with an
 * opaque cursor; one engine call, O(log n + page). Without `state`, every state
 * (pending first, then the others merged by time), O(states · log n + page). With `priority`, pending jobs
 * are filtered exactly; other states are filtered by the engine in bounded steps,
 * so a page may hold fewer than `limit` items: clients follow `nextCursor` until
 * it is null.
 */
import {
  DEFAULT_QUEUE,
  JobStateSchema,
  JobTypeSchema,
  LIMITS,
  PrioritySchema,
  QueueNameSchema,
} from "@rqueue/shared";
import type { Hono } from "hono";
import * as v from "valibot";
import type { AppEnv } from "../../app/app-env.js";
import { unprocessable } from "../../http/api-error.js";
import { requireRole } from "../../http/auth.js";
import { describeRoute, errorResponse, ref } from "../openapi/describe-route.js";
import { toFieldIssues } from "./job-input.js";

const wholeNumber = v.pipe(v.string(), v.regex(/^\d+$/, "must be a whole number"), v.transform(Number));

export const ListQuerySchema = v.strictObject({
  queue: v.optional(QueueNameSchema, DEFAULT_QUEUE),
  state: v.optional(JobStateSchema),
  type: v.optional(JobTypeSchema),
  priority: v.optional(v.pipe(wholeNumber, PrioritySchema)),
  limit: v.optional(
    v.pipe(
      wholeNumber,
      v.minValue(1, "must be at least 1"),
      v.maxValue(LIMITS.listPageMax, `must be at most ${LIMITS.listPageMax}`),
    ),
    "50",
  ),
  cursor: v.optional(v.pipe(v.string(), v.nonEmpty("must not be empty"))),
});

export function registerListJobs(router: Hono<AppEnv>): void {
  router.get(
    "/",
    describeRoute({
      operationId: "listJobs",
      summary: "List a queue's jobs, newest first, one page at a time",
      description:
        "Without `state`, every state is listed: pending jobs first (newest enqueued first), then the other " +
        "states merged by the time of their index (run time, lease deadline, blocked-since, finish time), newest first.",
      tag: "Jobs",
      access: "read",
      query: {
        queue: { description: "Queue name", schema: { type: "string", default: DEFAULT_QUEUE } },
        state: { description: "Only this state; every state when left out", schema: ref("JobState") },
        type: { description: "Only this job type", schema: { type: "string" } },
        priority: {
          description: "Only this priority; pages may then be short, follow nextCursor",
          schema: { type: "integer", minimum: 1, maximum: 10 },
        },
        limit: {
          description: "Page size",
          schema: { type: "integer", minimum: 1, maximum: LIMITS.listPageMax, default: 50 },
        },
        cursor: { description: "nextCursor of the previous page", schema: { type: "string" } },
      },
      responses: {
        "200": { description: "One page; follow nextCursor until it is null", schema: ref("JobPage") },
        "422": errorResponse("Bad filter or cursor"),
      },
    }),
    requireRole("read"),
    async (c) => {
      const parsed = v.safeParse(ListQuerySchema, c.req.query());
      if (!parsed.success) throw unprocessable(toFieldIssues(parsed.issues));
      const { queue: name, ...request } = parsed.output;
      return c.json(await c.var.queues.get(name).list(request));
    },
  );
}
