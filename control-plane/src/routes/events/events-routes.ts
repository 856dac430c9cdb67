/**
 * GET /v1/events: job state changes as Server-Sent Events, from the queues' Redis
 * event streams (see event-hub.ts for the one shared reader per queue).
 *
 *   id: <stream id>                       one queue
 *   id: <queue>/<stream id>,<queue>/…     several: every queue's position, so a
 *                                         resume continues each where it was
 *   event: <state or progress/removed>
 *   data: {"queue","jobId","event","type"?,"detail"}
 *
 * One stream entry may name several jobs (a batch): each gets its own event and
 * the id rides on the last of them, so a resume replays an interrupted entry
 * rather than skip its rest. `Last-Event-ID` (or `lastEventId`) resumes from the
 * entries still in the stream (each queue keeps its latest ~10,000). A comment
 * every heartbeat keeps proxies from closing an idle stream. Streams per API key
 * are bounded (429 beyond), and so are the queues one stream follows.
 */
import { JobTypeSchema, parseJobId } from "@rqueue/shared";
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import * as v from "valibot";
import type { AppEnv } from "../../app/app-env.js";
import type { AppServices } from "../../app/services.js";
import { EventStream } from "../../events/event-stream.js";
import { JobTypeLookup } from "../../events/job-type-lookup.js";
import { ApiError, unprocessable } from "../../http/api-error.js";
import { requireRole } from "../../http/auth.js";
import { describeRoute, errorResponse } from "../openapi/describe-route.js";

/** Queues one stream may follow. */
export const MAX_STREAM_QUEUES = 10;
const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

/** The positions a Last-Event-ID names, by queue; a bare stream id only for a single queue. */
function parseCursor(text: string | undefined, queues: readonly string[]): Map<string, string> {
  const positions = new Map<string, string>();
  if (text === undefined || text === "") return positions;
  if (queues.length === 1 && STREAM_ID.test(text)) return positions.set(queues[0] as string, text);
  for (const part of text.split(",")) {
    const slash = part.lastIndexOf("/");
    const id = part.slice(slash + 1);
    if (slash <= 0 || !STREAM_ID.test(id)) {
      throw unprocessable([
        {
          path: "lastEventId",
          message: "must be an id this stream sent: <stream id>, or <queue>/<stream id>,…",
        },
      ]);
    }
    // A queue no longer asked for is ignored: the client changed what it follows.
    const queue = part.slice(0, slash);
    if (queues.includes(queue)) positions.set(queue, id);
  }
  return positions;
}

function parseJobFilter(text: string | undefined, queues: readonly string[]) {
  if (text === undefined) return undefined;
  let job: { queue: string; seq: string };
  try {
    job = parseJobId(text);
  } catch {
    throw unprocessable([{ path: "jobId", message: "must be a job id of the form <queue>:<number>" }]);
  }
  if (!queues.includes(job.queue)) {
    throw unprocessable([
      { path: "jobId", message: `names a job of queue ${job.queue}, which is not followed` },
    ]);
  }
  return job;
}

export function eventsRoutes(services: AppServices): Hono<AppEnv> {
  const router = new Hono<AppEnv>();
  const types = new JobTypeLookup(services.redis);
  const openByKey = new Map<string, number>();

  router.get(
    "/",
    describeRoute({
      operationId: "streamEvents",
      summary: "Job state changes as Server-Sent Events (text/event-stream)",
      description:
        "Each event: `id` (the stream position; with several queues `<queue>/<stream id>` pairs, comma-separated), " +
        "`event` (the job's new state, `progress` or `removed`) and `data` (JSON: queue, jobId, event, detail; type " +
        "when filtered by it). Events of one stream entry (a batch) share one id, sent on the last. Send the last id " +
        "back as `Last-Event-ID` (or `lastEventId`) to resume. A `: heartbeat` comment comes every 15 s. " +
        `At most ${MAX_STREAM_QUEUES} queues per stream and RQ_EVENT_STREAMS_PER_KEY (default 10) streams per API key.`,
      tag: "Events",
      access: "read",
      query: {
        queue: {
          description: `Queue to follow; repeat for up to ${MAX_STREAM_QUEUES}`,
          required: true,
          schema: { type: "array", items: { type: "string" }, minItems: 1, maxItems: MAX_STREAM_QUEUES },
        },
        type: { description: "Only jobs of this type", schema: { type: "string" } },
        jobId: { description: "Only this job", schema: { type: "string" }, example: "default:42" },
        lastEventId: {
          description: "Resume after this id (as the Last-Event-ID header)",
          schema: { type: "string" },
        },
      },
      headers: { "Last-Event-ID": { description: "Resume after this id", schema: { type: "string" } } },
      responses: {
        "200": {
          description: "The event stream",
          contentType: "text/event-stream",
          schema: { type: "string" },
        },
        "422": errorResponse("A bad queue, type, jobId or Last-Event-ID"),
        "429": errorResponse("This API key already holds RQ_EVENT_STREAMS_PER_KEY streams"),
      },
    }),
    requireRole("read"),
    async (c) => {
      const queues = [...new Set(c.req.queries("queue") ?? [])];
      if (queues.length === 0 || queues.length > MAX_STREAM_QUEUES) {
        throw unprocessable([
          { path: "queue", message: `name 1 to ${MAX_STREAM_QUEUES} queues (repeat queue=)` },
        ]);
      }
      for (const queue of queues) c.var.queues.get(queue); // 422 for a name that is not a queue name
      const type = c.req.query("type");
      if (type !== undefined && !v.is(JobTypeSchema, type)) {
        throw unprocessable([{ path: "type", message: "must be a job type name" }]);
      }
      const job = parseJobFilter(c.req.query("jobId"), queues);
      const from = parseCursor(c.req.header("last-event-id") ?? c.req.query("lastEventId"), queues);

      const key = c.get("principal").name;
      const open = openByKey.get(key) ?? 0;
      if (open >= services.config.eventStreamsPerKey) {
        throw new ApiError(429, "too_many_streams", `API key ${key} already holds ${open} event streams`);
      }
      openByKey.set(key, open + 1);
      const release = () => {
        const left = (openByKey.get(key) ?? 1) - 1;
        if (left > 0) openByKey.set(key, left);
        else openByKey.delete(key);
      };
      const events = new EventStream(services.redis, services.eventHub, types, { queues, type, job, from });
      try {
        await events.subscribe();
      } catch (error) {
        release();
        throw error;
      }

      return streamSSE(c, async (stream) => {
        const removeCloser = services.eventHub.onClose(() => events.end());
        stream.onAbort(() => events.end());
        const heartbeat = setInterval(
          () => void stream.write(": heartbeat\n\n"),
          services.config.eventHeartbeatMs,
        );
        try {
          await stream.write(": connected\n\n");
          await events.run((event) => stream.writeSSE(event));
        } finally {
          clearInterval(heartbeat);
          events.close();
          removeCloser();
          release();
        }
      });
    },
  );

  return router;
}
