/**
 * `rq tail`: follows a queue's events (GET /v1/events, Server-Sent Events),
 * optionally of one job type or one job, printing one line per event. A dropped
 * connection is resumed where it stopped (Last-Event-ID), as an EventSource
 * would; the first connection failing is an error. Ends on Ctrl-C or after
 * `--limit` events. Ids are the API's stream positions, so `--last-event-id 0-0`
 * replays what the queue's stream still holds.
 */

import { setTimeout as delay } from "node:timers/promises";
import { ApiRequestError } from "@rqueue/shared/client";
import { type Command, type CommandContext, intOption, stringOption } from "../command.js";
import { EXIT, UsageError } from "../exit-codes.js";
import { readEvents, type ServerEvent } from "../sse.js";

const RECONNECT_MAX_MS = 5_000;

export interface StreamTarget {
  baseUrl: string;
  apiKey: string | null;
}

async function errorFrom(response: Response): Promise<ApiRequestError> {
  let body: { error?: { code?: string; message?: string; issues?: { path: string; message: string }[] } } =
    {};
  try {
    body = (await response.json()) as typeof body;
  } catch {
    // Not the API's JSON error: keep the status.
  }
  return new ApiRequestError(
    response.status,
    body.error?.code ?? `http_${response.status}`,
    body.error?.message ?? response.statusText,
    body.error?.issues ?? [],
  );
}

function printEvent(ctx: CommandContext, event: ServerEvent): void {
  let data: unknown = event.data;
  try {
    data = JSON.parse(event.data);
  } catch {
    // Not JSON: printed as the text it is.
  }
  if (ctx.out.json) {
    ctx.out.write(`${JSON.stringify({ id: event.id, event: event.event, data })}\n`);
    return;
  }
  const text = typeof data === "string" ? data : JSON.stringify(data);
  ctx.out.write(`${event.id ?? "-"}  ${event.event}  ${text}\n`);
}

export function tailCommand(target: () => StreamTarget): Command {
  return {
    usage: "tail --queue <name> [--queue <name>...]",
    summary: "follow a queue's events as they happen (one line each; --json: one JSON object each)",
    help: [
      "--queue <name>          the queue (required; repeat it to follow up to 10)",
      "--type <type>           only events of jobs of this type",
      "--job <job-id>          only events of this job",
      "--last-event-id <id>    resume after this event",
      "--limit <n>             stop after n events",
    ],
    options: {
      queue: { type: "string", multiple: true },
      type: { type: "string" },
      job: { type: "string" },
      "last-event-id": { type: "string" },
      limit: { type: "string" },
    },
    arity: [0, 0],
    async run(ctx) {
      const { baseUrl, apiKey } = target();
      const params = new URLSearchParams();
      const queues = Array.isArray(ctx.options.queue) ? ctx.options.queue : [];
      if (queues.length === 0) throw new UsageError("--queue is required");
      for (const queue of queues) params.append("queue", queue);
      const type = stringOption(ctx.options, "type");
      const jobId = stringOption(ctx.options, "job");
      if (type) params.set("type", type);
      if (jobId) params.set("jobId", jobId);
      const limit = intOption(ctx.options, "limit", 1, Number.MAX_SAFE_INTEGER);
      let lastEventId = stringOption(ctx.options, "last-event-id") ?? null;
      let retryMs = 1_000;
      let seen = 0;
      let connected = false;
      // Stops the stream once --limit events were printed.
      const done = new AbortController();
      const signal = AbortSignal.any([ctx.signal, done.signal]);
      while (!signal.aborted) {
        const headers: Record<string, string> = { accept: "text/event-stream" };
        if (apiKey) headers.authorization = `Bearer ${apiKey}`;
        if (lastEventId) headers["last-event-id"] = lastEventId;
        try {
          const response = await fetch(`${baseUrl}/v1/events?${params}`, { headers, signal });
          if (!response.ok || !response.body) throw await errorFrom(response);
          // Told once, on stderr, so a terminal user knows it is live and stdout stays only events.
          if (!connected && !ctx.out.json)
            ctx.out.writeError(`rq: following ${queues.join(", ")} (Ctrl-C stops)\n`);
          connected = true;
          await readEvents(response.body, {
            event(event) {
              if (signal.aborted) return;
              if (event.id) lastEventId = event.id;
              printEvent(ctx, event);
              seen++;
              if (limit !== undefined && seen >= limit) done.abort();
            },
            retry(ms) {
              retryMs = ms;
            },
          });
        } catch (error) {
          if (signal.aborted) break;
          if (error instanceof ApiRequestError) throw error;
          if (!connected) {
            throw new ApiRequestError(0, "unreachable", `the API could not be reached: ${String(error)}`);
          }
        }
        await delay(Math.min(retryMs, RECONNECT_MAX_MS), undefined, { signal }).catch(() => undefined);
      }
      return EXIT.ok;
    },
  };
}
