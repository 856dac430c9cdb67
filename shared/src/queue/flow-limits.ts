/**
 * Flow control from TypeScript: sets and removes rate/concurrency rules and group
 * weights (set-flow-limit.lua), and reads what the limits are doing
 * (read-flow-state.lua). Rules are validated against the shared schemas before
 * anything reaches Redis.
 */
import * as v from "valibot";
import { ValidationError } from "../errors.js";
import {
  type FlowAllowance,
  type FlowRule,
  FlowRuleSchema,
  type FlowScope,
  FlowScopeSchema,
  type FlowState,
  GroupWeightSchema,
} from "../schemas/flow-limits.js";
import type { QueueContext } from "./queue-context.js";

function parse<T>(schema: v.GenericSchema<unknown, T>, input: unknown, path: string): T {
  const parsed = v.safeParse(schema, input);
  if (!parsed.success) throw ValidationError.fromValibot(parsed.issues, path);
  return parsed.output;
}

function scopeField(scope: FlowScope): string {
  if (scope.scope === "queue") return "q";
  return `${scope.scope === "type" ? "t" : "g"}:${scope.type}`;
}

function encodeRule(rule: FlowRule): string {
  const rate = rule.rate;
  const burst = rate ? (rate.burst ?? defaultBurst(rate)) : 0;
  return [rate?.limit ?? 0, rate?.windowMs ?? 0, burst, rule.concurrency ?? 0].join(",");
}

const DEFAULT_BURST_MS = 50;

/**
 * 50 ms of the rate (at least 1, at most the limit): a consumer answered a little late
 * still keeps up with a fast rate (with burst 1 at 2,000/s a slot lasts 0.5 ms, less
 * than a round trip), while a rate up to 20 a second stays paced one at a time.
 */
function defaultBurst(rate: { limit: number; windowMs: number }): number {
  return Math.min(rate.limit, Math.max(1, Math.ceil((rate.limit * DEFAULT_BURST_MS) / rate.windowMs)));
}

function decodeRule(encoded: string): FlowRule | null {
  const parts = encoded.split(",").map(Number);
  if (parts.length !== 4 || parts.some((part) => !Number.isInteger(part))) return null;
  const [limit, windowMs, burst, concurrency] = parts as [number, number, number, number];
  return {
    ...(limit > 0 ? { rate: { limit, windowMs, burst } } : {}),
    ...(concurrency > 0 ? { concurrency } : {}),
  };
}

function decodeScope(field: string): FlowScope | null {
  if (field === "q") return { scope: "queue" };
  const match = /^([tg]):(.+)$/.exec(field);
  if (!match) return null;
  return { scope: match[1] === "t" ? "type" : "group", type: match[2] as string };
}

/** Sets the rule of a scope (replacing any), or removes it with `rule` null. */
export async function setFlowLimit(
  ctx: QueueContext,
  scope: FlowScope,
  rule: FlowRule | null,
): Promise<void> {
  const target = scopeField(parse(FlowScopeSchema, scope, "scope"));
  const encoded = rule === null ? "" : encodeRule(parse(FlowRuleSchema, rule, "rule"));
  await ctx.run("set-flow-limit", ["rule", target, encoded, ""]);
}

/** Sets a group's weight for fair turns within its type (null: back to 1). */
export async function setGroupWeight(
  ctx: QueueContext,
  type: string,
  group: string,
  weight: number | null,
): Promise<void> {
  const input = parse(GroupWeightSchema, { type, group, weight }, "");
  await ctx.run("set-flow-limit", [
    "weight",
    input.type,
    input.group,
    input.weight === null ? "" : input.weight,
  ]);
}

type AllowanceReply = [number, number | false];
const allowance = ([allowed, next]: AllowanceReply): FlowAllowance => ({
  allowedNow: allowed < 0 ? null : allowed,
  nextAt: next === false || next === null ? null : new Date(next).toISOString(),
});

export async function readFlowState(ctx: QueueContext): Promise<FlowState> {
  const [, flatRules, queue, types] = (await ctx.run("read-flow-state", [])) as [
    number,
    string[],
    AllowanceReply,
    [string, number, number, number | false, number, number, number][],
  ];
  const rules: FlowState["rules"] = [];
  for (let i = 0; i + 1 < flatRules.length; i += 2) {
    const scope = decodeScope(flatRules[i] as string);
    const rule = decodeRule(flatRules[i + 1] as string);
    if (scope && rule) rules.push({ scope, rule });
  }
  return {
    rules,
    queue: allowance(queue),
    types: types.map(([type, running, allowed, next, active, parked, waiting]) => ({
      type,
      running,
      ...allowance([allowed, next]),
      groupsActive: active,
      groupsParked: parked,
      groupsWaitingForSlot: waiting,
    })),
  };
}
