/**
 * Repeatable and cron schedules: POST /v1/schedules creates one (its template's
 * type and payload are checked against the type registry like a submitted job's),
 * GET lists them (one queue, or every queue with schedules) with their next and
 * last runs; per schedule, under /v1/schedules/:queue/:id, GET, PATCH, pause,
 * resume, trigger (one run now) and DELETE. Writes need a submit key like job
 * submission; DELETE needs admin, like deleting a job. Firing is not here: every
 * control plane's ScheduleLoop does it (maintenance/schedule-loop.ts).
 */
import {
  DEFAULT_QUEUE,
  LIMITS,
  listScheduleQueues,
  QueueNameSchema,
  QueueSchedules,
  type Schedule,
  ScheduleIdSchema,
  type ScheduleInput,
  type ScheduleUpdate,
} from "@rqueue/shared";
import { type Context, Hono } from "hono";
import * as v from "valibot";
import type { AppEnv } from "../../app/app-env.js";
import type { AppServices } from "../../app/services.js";
import { unprocessable } from "../../http/api-error.js";
import { requireRole } from "../../http/auth.js";
import { readJsonObject } from "../../http/read-json.js";
import { describeRoute, errorResponse, type ParameterDoc, ref } from "../openapi/describe-route.js";

const PATH_PARAMS: Record<string, ParameterDoc> = {
  queue: { description: "The schedule's queue", example: "default" },
  id: { description: "Schedule id, unique within its queue", example: "nightly-report" },
};
const SCHEDULE_RESPONSE = { description: "The schedule", schema: ref("Schedule") };
const NOT_FOUND = errorResponse("No such schedule");

/** A list page's cursor across queues: `<queue>/<id>` of the last item. */
const parseCursor = (cursor: string | undefined): { queue: string; id: string } | null => {
  if (!cursor) return null;
  const slash = cursor.indexOf("/");
  const queue = cursor.slice(0, slash);
  const id = cursor.slice(slash + 1);
  if (slash < 0 || !v.is(QueueNameSchema, queue) || !v.is(ScheduleIdSchema, id)) {
    throw unprocessable([{ path: "cursor", message: "must be a nextCursor this endpoint returned" }]);
  }
  return { queue, id };
};

export function schedulesRoutes(services: AppServices): Hono<AppEnv> {
  const router = new Hono<AppEnv>();
  const schedulesOf = (c: Context<AppEnv>, name: string) => new QueueSchedules(c.var.queues.get(name));
  const target = (c: Context<AppEnv>) => {
    const id = c.req.param("id") as string;
    if (!v.is(ScheduleIdSchema, id)) {
      throw unprocessable([{ path: "id", message: "must be 1-64 of A-Z a-z 0-9 _ . -" }]);
    }
    return { schedules: schedulesOf(c, c.req.param("queue") as string), id };
  };

  router.post(
    "/",
    describeRoute({
      operationId: "createSchedule",
      summary: "Create a repeatable or cron schedule",
      description:
        "Exactly one of `cron` (5 fields, or 6 with seconds first; `timezone` IANA, default UTC) and " +
        "`everyMs`. Every control plane fires due schedules; each due time starts one job, whatever " +
        "number of them run. `misfire` says what happens to due times missed while nothing ran " +
        "(beyond `misfireGraceMs`); `overlap: skip` starts nothing while the previous run is unfinished.",
      tag: "Schedules",
      access: "submit",
      body: { schema: ref("ScheduleInput"), required: true },
      responses: {
        "201": { ...SCHEDULE_RESPONSE, headers: { Location: { description: "/v1/schedules/{queue}/{id}" } } },
        "409": errorResponse("The queue has a schedule with this id"),
        "422": errorResponse("Invalid schedule (each field named), or a job type no worker registered"),
      },
    }),
    requireRole("submit"),
    async (c) => {
      const body = (await readJsonObject(c)) as ScheduleInput & Record<string, unknown>;
      const queueName = typeof body.queue === "string" ? body.queue : DEFAULT_QUEUE;
      const schedules = schedulesOf(c, queueName);
      const job = body.job as { type?: unknown; payload?: unknown } | undefined;
      if (job && typeof job === "object" && typeof job.type === "string") {
        await services.types.assertAccepted(queueName, [
          { type: job.type, payload: job.payload === undefined ? {} : job.payload, prefix: "job" },
        ]);
      }
      const schedule = await schedules.create(body);
      c.header("Location", `/v1/schedules/${schedule.queue}/${schedule.id}`);
      return c.json(schedule, 201);
    },
  );

  router.get(
    "/",
    describeRoute({
      operationId: "listSchedules",
      summary: "Schedules with their next and last runs, by queue and id",
      tag: "Schedules",
      access: "read",
      query: {
        queue: { description: "Only this queue's schedules" },
        limit: {
          description: `Page size, 1-${LIMITS.listPageMax} (default 50)`,
          schema: { type: "integer" },
        },
        cursor: { description: "The previous page's nextCursor" },
      },
      responses: {
        "200": {
          description: "One page",
          schema: {
            type: "object",
            properties: {
              items: { type: "array", items: ref("Schedule") },
              nextCursor: { type: ["string", "null"] },
            },
          },
        },
      },
    }),
    requireRole("read"),
    async (c) => {
      const limitText = c.req.query("limit");
      const limit = limitText === undefined ? 50 : Number(limitText);
      if (!Number.isInteger(limit) || limit < 1 || limit > LIMITS.listPageMax) {
        throw unprocessable([
          { path: "limit", message: `must be an integer from 1 to ${LIMITS.listPageMax}` },
        ]);
      }
      const only = c.req.query("queue");
      const cursor = parseCursor(c.req.query("cursor"));
      const names = only !== undefined ? [only] : await listScheduleQueues(services.redis);
      const items: Schedule[] = [];
      let nextCursor: string | null = null;
      for (const name of names) {
        if (cursor && name < cursor.queue) continue;
        const page = await schedulesOf(c, name).list({
          limit: limit - items.length,
          ...(cursor?.queue === name ? { cursor: cursor.id } : {}),
        });
        items.push(...page.items);
        if (items.length >= limit) {
          const last = items[items.length - 1] as Schedule;
          const more = page.nextCursor !== null || name !== names[names.length - 1];
          nextCursor = more ? `${last.queue}/${last.id}` : null;
          break;
        }
      }
      return c.json({ items, nextCursor });
    },
  );

  router.get(
    "/:queue/:id",
    describeRoute({
      operationId: "getSchedule",
      summary: "One schedule: definition, next 5 due times, last 20 runs with their states",
      tag: "Schedules",
      access: "read",
      params: PATH_PARAMS,
      responses: { "200": SCHEDULE_RESPONSE, "404": NOT_FOUND },
    }),
    requireRole("read"),
    async (c) => {
      const { schedules, id } = target(c);
      return c.json(await schedules.getOrThrow(id));
    },
  );

  router.patch(
    "/:queue/:id",
    describeRoute({
      operationId: "updateSchedule",
      summary: "Change a schedule",
      description:
        "The fields given replace the schedule's; `null` clears `timezone`, `startAt`, `endAt` or `limit`. " +
        "A change of timing starts again from the first due time after now; other changes keep the next due time.",
      tag: "Schedules",
      access: "submit",
      params: PATH_PARAMS,
      body: { schema: ref("ScheduleUpdate"), required: true },
      responses: { "200": SCHEDULE_RESPONSE, "404": NOT_FOUND },
    }),
    requireRole("submit"),
    async (c) => {
      const { schedules, id } = target(c);
      const body = (await readJsonObject(c)) as ScheduleUpdate & Record<string, unknown>;
      const job = body.job as { type?: unknown; payload?: unknown } | undefined;
      if (job && typeof job === "object" && typeof job.type === "string") {
        await services.types.assertAccepted(c.req.param("queue") as string, [
          { type: job.type, payload: job.payload === undefined ? {} : job.payload, prefix: "job" },
        ]);
      }
      return c.json(await schedules.update(id, body));
    },
  );

  for (const [action, summary] of [
    ["pause", "Pause a schedule (due times while paused do not run)"],
    ["resume", "Resume a schedule from the first due time after now"],
  ] as const) {
    router.post(
      `/:queue/:id/${action}`,
      describeRoute({
        operationId: `${action}Schedule`,
        summary,
        tag: "Schedules",
        access: "submit",
        params: PATH_PARAMS,
        responses: { "200": SCHEDULE_RESPONSE, "404": NOT_FOUND },
      }),
      requireRole("submit"),
      async (c) => {
        const { schedules, id } = target(c);
        return c.json(await (action === "pause" ? schedules.pause(id) : schedules.resume(id)));
      },
    );
  }

  router.post(
    "/:queue/:id/trigger",
    describeRoute({
      operationId: "triggerSchedule",
      summary: "Start one run now from the schedule's template",
      description: "Recorded among the last runs as manual; does not count toward `limit`.",
      tag: "Schedules",
      access: "submit",
      params: PATH_PARAMS,
      responses: {
        "201": {
          description: "The job started and the schedule",
          schema: {
            type: "object",
            properties: { jobId: { type: "string" }, schedule: ref("Schedule") },
            required: ["jobId", "schedule"],
          },
          headers: { Location: { description: "/v1/jobs/{jobId}" } },
        },
        "404": NOT_FOUND,
      },
    }),
    requireRole("submit"),
    async (c) => {
      const { schedules, id } = target(c);
      const triggered = await schedules.trigger(id);
      c.header("Location", `/v1/jobs/${triggered.jobId}`);
      return c.json(triggered, 201);
    },
  );

  router.delete(
    "/:queue/:id",
    describeRoute({
      operationId: "deleteSchedule",
      summary: "Delete a schedule and its run history (the jobs it started stay)",
      tag: "Schedules",
      access: "admin",
      params: PATH_PARAMS,
      responses: { "204": { description: "Deleted" }, "404": NOT_FOUND },
    }),
    requireRole("admin"),
    async (c) => {
      const { schedules, id } = target(c);
      await schedules.delete(id);
      return c.body(null, 204);
    },
  );

  return router;
}
