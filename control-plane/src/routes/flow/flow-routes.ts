/**
 * Rate limits, global concurrency and fair queuing of a queue, under
 * /v1/queues/:queue/flow: GET reads the rules and what they allow now (per type:
 * running jobs, groups taking turns, parked, waiting for a slot); PUT and DELETE
 * set or remove the rule of the queue (`/rule`), of one job type
 * (`/types/:type/rule`) or of each group of a type on its own
 * (`/types/:type/group-rule`), and a group's weight
 * (`/types/:type/groups/:group/weight`). Changes need admin, like pausing a
 * queue; they apply at the next take on every worker. Like the queue's settings,
 * rules may be set before the queue's first job, so a limit holds from the start.
 * Semantics: shared/src/scripts/includes/limits.lua and groups.lua.
 */
import { FlowRuleSchema, type FlowScope, GroupWeightSchema, JobTypeSchema, type Queue } from "@rqueue/shared";
import { type Context, Hono } from "hono";
import * as v from "valibot";
import type { AppEnv } from "../../app/app-env.js";
import { unprocessable } from "../../http/api-error.js";
import { requireRole } from "../../http/auth.js";
import { readJsonObject } from "../../http/read-json.js";
import { toFieldIssues } from "../jobs/job-input.js";
import { describeRoute, type ParameterDoc, ref } from "../openapi/describe-route.js";
import { GroupWeightAnswerSchema, GroupWeightInputSchema } from "./flow-schemas.js";

const QUEUE: ParameterDoc = { description: "Queue name", example: "default" };
const TYPE: ParameterDoc = { description: "Job type", example: "email.send" };
const GROUP: ParameterDoc = {
  description: "Group (tenant) key, percent-encoded",
  example: "tenant-42",
};
const FLOW_STATE = { description: "The queue's flow state after the change", schema: ref("FlowState") };
const RULE_BODY = {
  required: true,
  schema: ref("FlowRule"),
  description:
    "`rate`: at most `limit` starts per `windowMs`, paced evenly (one every windowMs/limit), " +
    "`burst` (default 50 ms of the rate, at least 1) at once, so at most limit + burst in any window; `concurrency`: at most " +
    "this many running at once across every worker. Give either or both; the rule replaces any before.",
};

interface ScopeRoute {
  path: string;
  what: string;
  id: string;
  params: Record<string, ParameterDoc>;
  scope: (c: Context<AppEnv>) => FlowScope;
}

/** The `:type` of a path, or 422 naming it. */
function typeParam(c: Context<AppEnv>): string {
  const type = c.req.param("type");
  const parsed = v.safeParse(JobTypeSchema, type);
  if (!parsed.success) throw unprocessable(toFieldIssues(parsed.issues, "type"));
  return parsed.output;
}

const SCOPES: ScopeRoute[] = [
  {
    path: "/:queue/flow/rule",
    what: "the whole queue",
    id: "Queue",
    params: { queue: QUEUE },
    scope: () => ({ scope: "queue" }),
  },
  {
    path: "/:queue/flow/types/:type/rule",
    what: "one job type",
    id: "Type",
    params: { queue: QUEUE, type: TYPE },
    scope: (c) => ({ scope: "type", type: typeParam(c) }),
  },
  {
    path: "/:queue/flow/types/:type/group-rule",
    what: "each group of one job type, on its own",
    id: "Group",
    params: { queue: QUEUE, type: TYPE },
    scope: (c) => ({ scope: "group", type: typeParam(c) }),
  },
];

export function flowRoutes(): Hono<AppEnv> {
  const router = new Hono<AppEnv>();
  const queueOf = (c: Context<AppEnv>) => c.var.queues.get(c.req.param("queue") as string);
  const answer = async (c: Context<AppEnv>, queue: Queue) =>
    c.json({ name: queue.name, ...(await queue.flowState()) });

  router.get(
    "/:queue/flow",
    describeRoute({
      operationId: "getFlowState",
      summary: "A queue's rate limits and fair queuing: rules, what they allow now, groups per type",
      description:
        "Per type with a rule or with groups: jobs running, starts allowed now and when the next is " +
        "(`nextAt`, when a rate holds it), groups taking turns, parked by a rate or an upstream hold, " +
        "and waiting for one of their running jobs to end. O(types): no scan of jobs or groups.",
      tag: "Flow control",
      access: "read",
      params: { queue: QUEUE },
      responses: { "200": { description: "The flow state", schema: ref("FlowState") } },
    }),
    requireRole("read"),
    (c) => answer(c, queueOf(c)),
  );

  for (const route of SCOPES) {
    router.put(
      route.path,
      describeRoute({
        operationId: `set${route.id}FlowRule`,
        summary: `Set the rate limit and/or global concurrency of ${route.what}`,
        tag: "Flow control",
        access: "admin",
        params: route.params,
        body: RULE_BODY,
        responses: { "200": FLOW_STATE },
      }),
      requireRole("admin"),
      async (c) => {
        const queue = queueOf(c);
        const scope = route.scope(c);
        const parsed = v.safeParse(FlowRuleSchema, await readJsonObject(c));
        if (!parsed.success) throw unprocessable(toFieldIssues(parsed.issues));
        await queue.setFlowLimit(scope, parsed.output);
        return answer(c, queue);
      },
    );
    router.delete(
      route.path,
      describeRoute({
        operationId: `remove${route.id}FlowRule`,
        summary: `Remove the rule of ${route.what} (no limit; groups it held take their turn again)`,
        tag: "Flow control",
        access: "admin",
        params: route.params,
        responses: { "200": FLOW_STATE },
      }),
      requireRole("admin"),
      async (c) => {
        const queue = queueOf(c);
        await queue.setFlowLimit(route.scope(c), null);
        return answer(c, queue);
      },
    );
  }

  const WEIGHT_PATH = "/:queue/flow/types/:type/groups/:group/weight";
  const WEIGHT_PARAMS = { queue: QUEUE, type: TYPE, group: GROUP };
  const WEIGHT_ANSWER = { description: "The weight in force", schema: GroupWeightAnswerSchema };
  const setWeight = async (c: Context<AppEnv>, weight: unknown) => {
    const queue = queueOf(c);
    const parsed = v.safeParse(GroupWeightSchema, {
      type: c.req.param("type"),
      group: c.req.param("group"),
      weight,
    });
    if (!parsed.success) throw unprocessable(toFieldIssues(parsed.issues));
    const { type, group } = parsed.output;
    await queue.setGroupWeight(type, group, parsed.output.weight);
    return c.json({ name: queue.name, type, group, weight: parsed.output.weight ?? 1 });
  };

  router.put(
    WEIGHT_PATH,
    describeRoute({
      operationId: "setGroupWeight",
      summary: "Set a group's weight for fair turns within its type",
      description:
        "A group of weight w takes w turns for every one of a weight-1 group (0.001-1000); null resets it to 1.",
      tag: "Flow control",
      access: "admin",
      params: WEIGHT_PARAMS,
      body: { required: true, schema: GroupWeightInputSchema },
      responses: { "200": WEIGHT_ANSWER },
    }),
    requireRole("admin"),
    async (c) => {
      const parsed = v.safeParse(GroupWeightInputSchema, await readJsonObject(c));
      if (!parsed.success) throw unprocessable(toFieldIssues(parsed.issues));
      return setWeight(c, parsed.output.weight);
    },
  );

  router.delete(
    WEIGHT_PATH,
    describeRoute({
      operationId: "resetGroupWeight",
      summary: "Reset a group's weight to 1",
      tag: "Flow control",
      access: "admin",
      params: WEIGHT_PARAMS,
      responses: { "200": WEIGHT_ANSWER },
    }),
    requireRole("admin"),
    (c) => setWeight(c, null),
  );

  return router;
}
