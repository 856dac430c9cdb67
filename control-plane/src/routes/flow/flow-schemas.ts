/**
 * The flow-control answer's schema for the OpenAPI document, built from the shared
 * rule and scope schemas the API validates with, and a compile-time check that it
 * keeps the contract's FlowState fields. Request bodies are the shared FlowRuleSchema
 * and the weight of GroupWeightSchema.
 */
import { FlowRuleSchema, FlowScopeSchema, type FlowState, GroupWeightSchema } from "@rqueue/shared";
import * as v from "valibot";

const nextAt = v.pipe(
  v.nullable(v.pipe(v.string(), v.isoTimestamp())),
  v.description("when the next start is allowed, if none is now and a rate (not a free slot) decides it"),
);
const allowedNow = v.pipe(
  v.nullable(v.number()),
  v.description("starts the rules allow right now; null when unlimited"),
);

export const FlowStateSchema = v.object({
  name: v.pipe(v.string(), v.description("the queue")),
  rules: v.array(v.object({ scope: FlowScopeSchema, rule: FlowRuleSchema })),
  queue: v.object({ allowedNow, nextAt }),
  types: v.pipe(
    v.array(
      v.object({
        type: v.string(),
        running: v.pipe(v.number(), v.description("jobs of the type processing now, on every worker")),
        allowedNow,
        nextAt,
        groupsActive: v.pipe(v.number(), v.description("groups with pending jobs taking turns")),
        groupsParked: v.pipe(
          v.number(),
          v.description("groups held back by their rate (or an upstream hold) until a time"),
        ),
        groupsWaitingForSlot: v.pipe(
          v.number(),
          v.description("groups held back until one of their running jobs ends (concurrency full)"),
        ),
      }),
    ),
    v.description("the types with a rule or with groups"),
  ),
});

/** PUT …/flow/weights/:type/:group: the body. */
export const GroupWeightInputSchema = v.strictObject({ weight: GroupWeightSchema.entries.weight });

export const GroupWeightAnswerSchema = v.object({
  name: v.string(),
  type: v.string(),
  group: v.string(),
  weight: v.pipe(v.number(), v.description("the weight in force (1 when reset)")),
});

type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never]
  ? true
  : false;
type TypeState = v.InferOutput<typeof FlowStateSchema>["types"][number];
// Fail to compile when the contract's FlowState gains or loses a field the document does not describe.
export const FLOW_SCHEMA_MATCHES: [
  SameKeys<Omit<v.InferOutput<typeof FlowStateSchema>, "name">, FlowState>,
  SameKeys<TypeState, FlowState["types"][number]>,
] = [true, true];
