/**
 * Flow-control rules (rate limits and global concurrency) and group weights, written
 * once and used by the engine (Queue.setFlowLimit), the HTTP API, the dashboard and
 * the OpenAPI document. Semantics in shared/src/scripts/includes/limits.lua.
 */
import * as v from "valibot";
import { integerIn } from "./integer-in.js";
import { GroupKeySchema, JobTypeSchema } from "./job-input.js";

export const FLOW_LIMITS = {
  maxRate: 1_000_000,
  maxWindowMs: 86_400_000,
  maxConcurrency: 1_000_000,
} as const;

/**
 * At most `limit` starts per `windowMs`, paced evenly, `burst` at once (default: 50 ms
 * of the rate, at least 1, so a rate up to 20 a second is paced one at a time).
 */
export const RateRuleSchema = v.strictObject({
  limit: integerIn(1, FLOW_LIMITS.maxRate),
  windowMs: integerIn(1, FLOW_LIMITS.maxWindowMs),
  burst: v.optional(integerIn(1, FLOW_LIMITS.maxRate)),
});

export const FlowRuleSchema = v.pipe(
  v.strictObject({
    rate: v.optional(RateRuleSchema),
    /** At most this many jobs of the scope running at once, across every worker. */
    concurrency: v.optional(integerIn(1, FLOW_LIMITS.maxConcurrency)),
  }),
  v.check(
    (rule) => rule.rate !== undefined || rule.concurrency !== undefined,
    "give rate, concurrency or both",
  ),
);
export type FlowRule = v.InferOutput<typeof FlowRuleSchema>;

/** Where a rule applies: the whole queue, one job type, or each group of one job type on its own. */
export const FlowScopeSchema = v.variant("scope", [
  v.strictObject({ scope: v.literal("queue") }),
  v.strictObject({ scope: v.literal("type"), type: JobTypeSchema }),
  v.strictObject({ scope: v.literal("group"), type: JobTypeSchema }),
]);
export type FlowScope = v.InferOutput<typeof FlowScopeSchema>;

export const GroupWeightSchema = v.strictObject({
  type: JobTypeSchema,
  group: GroupKeySchema,
  /** A group with weight w takes w turns for every one of a weight-1 group; null resets it to 1. */
  weight: v.nullable(v.pipe(v.number("must be a number"), v.minValue(0.001), v.maxValue(1000))),
});

/** A rule as the engine reports it, with its scope. */
export interface FlowRuleState {
  scope: FlowScope;
  rule: FlowRule;
}

export interface FlowAllowance {
  /** Starts the scope's rules allow right now; null when unlimited. */
  allowedNow: number | null;
  /** When the next start is allowed, if none is now and a rate (not a free slot) decides it. */
  nextAt: string | null;
}

export interface TypeFlowState extends FlowAllowance {
  type: string;
  running: number;
  /** Groups with pending jobs taking turns. */
  groupsActive: number;
  /** Groups held back by their rate (or an upstream hold) until a time. */
  groupsParked: number;
  /** Groups held back until one of their running jobs ends (their concurrency is full). */
  groupsWaitingForSlot: number;
}

export interface FlowState {
  rules: FlowRuleState[];
  queue: FlowAllowance;
  types: TypeFlowState[];
}
