/**
 * GET /v1/jobs: one page of a queue's jobs in one state, newest first, with an
 * opaque cursor. Without `priority` a page is one engine call, O(log n + page).
 * The engine has no priority index, so with `priority` the route filters engine
 * pages and stops after a fixed budget of examined jobs: a page may then hold
 * fewer than `limit` items, and clients follow `nextCursor` until it is null.
 */
import {
  DEFAULT_QUEUE,
  type Job,
  type JobPage,
  type JobState,
  JobStateSchema,
  JobTypeSchema,
  LIMITS,
  PrioritySchema,
  type Queue,
  QueueNameSchema,
} from "@rqueue/shared";
import type { Hono } from "hono";
import * as v from "valibot";
import type { AppEnv } from "../../app/app-env.js";
import type { AppServices } from "../../app/services.js";
import { unprocessable } from "../../http/api-error.js";
import { requireRole } from "../../http/auth.js";
import { toFieldIssues } from "./job-input.js";

/** Jobs examined per request when filtering by priority. */
const PRIORITY_SCAN_BUDGET = 1_000;

const wholeNumber = v.pipe(v.string(), v.regex(/^\d+$/, "must be a whole number"), v.transform(Number));

export const ListQuerySchema = v.strictObject({
  queue: v.optional(QueueNameSchema, DEFAULT_QUEUE),
  state: JobStateSchema,
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

interface PageRequest {
  state: JobState;
  type?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

async function listByPriority(queue: Queue, request: PageRequest, priority: number): Promise<JobPage> {
  const items: Job[] = [];
  let cursor = request.cursor;
  let examined = 0;
  while (items.length < request.limit && examined < PRIORITY_SCAN_BUDGET) {
    const want = request.limit - items.length;
    const page = await queue.list({ ...request, limit: LIMITS.listPageMax, cursor });
    const matches = page.items.filter((job) => job.priority === priority);
    if (matches.length > want) {
      // Re-read exactly up to the last match we can return, so the cursor lands right after it.
      const cut = page.items.indexOf(matches[want - 1] as Job) + 1;
      const exact = await queue.list({ ...request, limit: cut, cursor });
      items.push(...exact.items.filter((job) => job.priority === priority));
      return { items, nextCursor: exact.nextCursor };
    }
    items.push(...matches);
    examined += page.items.length;
    if (!page.nextCursor) return { items, nextCursor: null };
    cursor = page.nextCursor;
  }
  return { items, nextCursor: cursor ?? null };
}

export function registerListJobs(router: Hono<AppEnv>, services: AppServices): void {
  router.get("/", requireRole("read"), async (c) => {
    const parsed = v.safeParse(ListQuerySchema, c.req.query());
    if (!parsed.success) throw unprocessable(toFieldIssues(parsed.issues));
    const { queue: name, priority, ...request } = parsed.output;
    const queue = services.queues.get(name);
    const page =
      priority === undefined ? await queue.list(request) : await listByPriority(queue, request, priority);
    return c.json(page);
  });
}
