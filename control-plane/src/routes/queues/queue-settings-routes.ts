/**
 * A queue's own settings, kept in Redis so every control-plane replica applies
 * them: GET and PUT /v1/queues/:queue/settings. Today one: `requireRegisteredType`,
 * whether jobs of a type no worker ever registered are refused (422); null returns
 * the queue to the process default (RQ_REQUIRE_REGISTERED_TYPES, on unless set to 0).
 */
import { Hono } from "hono";
import * as v from "valibot";
import type { AppEnv } from "../../app/app-env.js";
import type { AppServices } from "../../app/services.js";
import { unprocessable } from "../../http/api-error.js";
import { requireRole } from "../../http/auth.js";
import { readJsonObject } from "../../http/read-json.js";
import { toFieldIssues } from "../jobs/job-input.js";
import { describeRoute } from "../openapi/describe-route.js";

const SettingsInputSchema = v.strictObject({
  requireRegisteredType: v.nullable(v.boolean("must be true, false or null")),
});

const SETTINGS = {
  type: "object",
  properties: {
    name: { type: "string" },
    requireRegisteredType: {
      type: "boolean",
      description: "Jobs of a type no worker ever registered are refused with 422",
    },
  },
  required: ["name", "requireRegisteredType"],
};

const QUEUE_PARAM = { description: "Queue name", example: "default" };

export function queueSettingsRoutes(services: AppServices): Hono<AppEnv> {
  const router = new Hono<AppEnv>();

  router.get(
    "/:queue/settings",
    describeRoute({
      operationId: "getQueueSettings",
      summary: "A queue's settings",
      tag: "Queues",
      access: "read",
      params: { queue: QUEUE_PARAM },
      responses: { "200": { description: "The settings in force", schema: SETTINGS } },
    }),
    requireRole("read"),
    async (c) => {
      const name = c.var.queues.get(c.req.param("queue")).name;
      return c.json({ name, requireRegisteredType: await services.types.requiresRegisteredType(name) });
    },
  );

  router.put(
    "/:queue/settings",
    describeRoute({
      operationId: "updateQueueSettings",
      summary: "Change a queue's settings",
      description:
        "`requireRegisteredType: false` lets jobs of types no worker registered in (they wait for one); " +
        "null returns to the process default. Other replicas apply a change within 5 s.",
      tag: "Queues",
      access: "admin",
      params: { queue: QUEUE_PARAM },
      body: {
        required: true,
        schema: {
          type: "object",
          properties: { requireRegisteredType: { type: ["boolean", "null"] } },
          required: ["requireRegisteredType"],
          additionalProperties: false,
        },
      },
      responses: { "200": { description: "The settings in force", schema: SETTINGS } },
    }),
    requireRole("admin"),
    async (c) => {
      const name = c.var.queues.get(c.req.param("queue")).name;
      const parsed = v.safeParse(SettingsInputSchema, await readJsonObject(c));
      if (!parsed.success) throw unprocessable(toFieldIssues(parsed.issues));
      const value = await services.types.setRequiresRegisteredType(name, parsed.output.requireRegisteredType);
      return c.json({ name, requireRegisteredType: value });
    },
  );

  return router;
}
