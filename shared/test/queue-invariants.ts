/**
 * Invariants of one queue's Redis state, read from Redis itself in one snapshot
 * (a test-only script that walks the queue's keys on the node that holds them).
 * The model-based test checks them after every step; each broken one is named.
 */
import { queueKeys } from "../src/keys.js";
import type { RedisClient } from "../src/redis/connection.js";

// Every key of the queue shares its hash tag, so one node holds them all.
const SNAPSHOT = `
local out, cursor = {}, '0'
repeat
  local reply = redis.call('SCAN', cursor, 'MATCH', ARGV[1] .. '*', 'COUNT', 1000)
  cursor = reply[1]
  for _, key in ipairs(reply[2]) do
    local kind = redis.call('TYPE', key).ok
    local value
    if kind == 'hash' then value = redis.call('HGETALL', key)
    elseif kind == 'zset' then value = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
    elseif kind == 'set' then value = redis.call('SMEMBERS', key)
    elseif kind == 'list' then value = redis.call('LRANGE', key, 0, -1)
    else value = {} end
    out[#out + 1] = { key, kind, value }
  end
until cursor == '0'
local t = redis.call('TIME')
return { out, t[1] * 1000 + math.floor(t[2] / 1000) }`;

const STATES = ["blocked", "scheduled", "pending", "processing", "completed", "failed", "canceled"] as const;
const FINAL = new Set(["completed", "failed", "canceled"]);
const WAITING = new Set(["blocked", "scheduled", "pending"]);
const BAND = 2 ** 42;
const SHARD_WIDTH = 128;

interface JobHash {
  seq: string;
  fields: Record<string, string>;
}

export interface QueueSnapshot {
  jobs: Map<string, JobHash>;
  /** state -> type -> seq -> score */
  indexes: Map<string, Map<string, Map<string, number>>>;
  pendingShardIndex: Map<string, Set<string>>;
  pendingCount: Record<string, number>;
  protectedSet: Set<string>;
  resolving: string[];
  rearm: string[];
  /** The expiring index: seq -> expiry (ms). */
  expiring: Map<string, number>;
  /** Fair queuing: type -> group -> (seq -> score) of its lane; groups in the ring or parked; running counts. */
  lanes: Map<string, Map<string, Map<string, number>>>;
  ring: Map<string, Set<string>>;
  parked: Map<string, Set<string>>;
  running: Map<string, Record<string, number>>;
  now: number;
}

const pairs = (flat: string[]) => {
  const map: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) map[flat[i] as string] = flat[i + 1] as string;
  return map;
};

export async function snapshotQueue(redis: RedisClient, queue: string): Promise<QueueSnapshot> {
  const keys = queueKeys(queue);
  const [entries, now] = (await redis.eval(SNAPSHOT, 1, keys.meta, keys.prefix)) as [
    [string, string, string[]][],
    number,
  ];
  const snapshot: QueueSnapshot = {
    jobs: new Map(),
    indexes: new Map(STATES.map((state) => [state, new Map()])),
    pendingShardIndex: new Map(),
    pendingCount: {},
    protectedSet: new Set(),
    resolving: [],
    rearm: [],
    expiring: new Map(),
    lanes: new Map(),
    ring: new Map(),
    parked: new Map(),
    running: new Map(),
    now,
  };
  const indexOf = (state: string, type: string) => {
    const byType = snapshot.indexes.get(state) as Map<string, Map<string, number>>;
    let members = byType.get(type);
    if (!members) {
      members = new Map();
      byType.set(type, members);
    }
    return members;
  };
  for (const [key, kind, value] of entries) {
    const name = key.slice(keys.prefix.length);
    const [head, ...rest] = name.split(":");
    if (head === "j" && kind === "hash") {
      snapshot.jobs.set(rest[0] as string, { seq: rest[0] as string, fields: pairs(value) });
    } else if (head === "pending" && kind === "zset" && rest.length === 2) {
      const members = indexOf("pending", rest[0] as string);
      for (let i = 0; i < value.length; i += 2) members.set(value[i] as string, Number(value[i + 1]));
    } else if (head === "pending" && kind === "zset" && rest.length === 1) {
      snapshot.pendingShardIndex.set(rest[0] as string, new Set(value.filter((_, i) => i % 2 === 0)));
    } else if (head === "pending-count") {
      snapshot.pendingCount = Object.fromEntries(
        Object.entries(pairs(value)).map(([k, v]) => [k, Number(v)]),
      );
    } else if (STATES.includes(head as (typeof STATES)[number]) && kind === "zset" && rest.length === 1) {
      const members = indexOf(head as string, rest[0] as string);
      for (let i = 0; i < value.length; i += 2) members.set(value[i] as string, Number(value[i + 1]));
    } else if (head === "protected") {
      snapshot.protectedSet = new Set(value);
    } else if (head === "resolving") {
      snapshot.resolving = value;
    } else if (head === "rearm") {
      snapshot.rearm = value;
    } else if (head === "lane" && kind === "zset") {
      // lane:<type>:<group>; a type has no ':', a group may.
      const [type, ...group] = rest as [string, ...string[]];
      const lanes = snapshot.lanes.get(type) ?? new Map<string, Map<string, number>>();
      snapshot.lanes.set(type, lanes);
      const members = new Map<string, number>();
      for (let i = 0; i < value.length; i += 2) members.set(value[i] as string, Number(value[i + 1]));
      lanes.set(group.join(":"), members);
    } else if ((head === "ring" || head === "parked") && kind === "zset") {
      snapshot[head].set(rest.join(":"), new Set(value.filter((_, i) => i % 2 === 0)));
    } else if (head === "running" && kind === "hash") {
      snapshot.running.set(
        rest.join(":"),
        Object.fromEntries(Object.entries(pairs(value)).map(([k, v]) => [k, Number(v)])),
      );
    } else if (head === "expiring" && kind === "zset") {
      for (let i = 0; i < value.length; i += 2)
        snapshot.expiring.set(value[i] as string, Number(value[i + 1]));
    }
  }
  return snapshot;
}

/** Every invariant that does not hold, as readable sentences (empty when all hold). */
export function brokenInvariants(snapshot: QueueSnapshot): string[] {
  const broken: string[] = [];
  const memberships = new Map<string, string[]>();
  for (const [state, byType] of snapshot.indexes) {
    for (const [type, members] of byType) {
      for (const seq of members.keys()) {
        const list = memberships.get(seq) ?? [];
        list.push(`${state}:${type}`);
        memberships.set(seq, list);
      }
    }
  }
  // Each job is in exactly one index, the one of its hash's state and type.
  for (const [seq, { fields }] of snapshot.jobs) {
    const where = memberships.get(seq) ?? [];
    // A grouped job is pending in its type's `<type>~` index (and in its group's lane).
    const expected = `${fields.s}:${fields.t}${fields.s === "pending" && fields.g !== undefined ? "~" : ""}`;
    if (where.length !== 1 || where[0] !== expected) {
      broken.push(`job ${seq} is ${expected} but indexed in [${where.join(", ")}]`);
    }
    if (fields.s === "processing" && (!fields.tk || !fields.w || !fields.st)) {
      broken.push(`job ${seq} is processing without a lease (token, worker, start)`);
    }
    if (fields.s === "pending") {
      const score = snapshot.indexes
        .get("pending")
        ?.get(`${fields.t}${fields.g !== undefined ? "~" : ""}`)
        ?.get(seq);
      const priority = Number(fields.p ?? 5);
      const order = Number(fields.po ?? seq);
      if (score !== undefined && score !== (10 - priority) * BAND + order) {
        broken.push(`job ${seq} has pending score ${score}, not that of priority ${priority} order ${order}`);
      }
    }
  }
  // No index entry without a hash.
  for (const [seq, where] of memberships) {
    if (!snapshot.jobs.has(seq))
      broken.push(`index entries [${where.join(", ")}] name job ${seq}, which has no hash`);
  }
  // Counters equal the real entries; the shard index lists exactly the non-empty shards.
  const pendingOf = (type: string) =>
    (snapshot.indexes.get("pending")?.get(type)?.size ?? 0) +
    (snapshot.indexes.get("pending")?.get(`${type}~`)?.size ?? 0);
  for (const [index, members] of snapshot.indexes.get("pending") ?? []) {
    const type = index.replace(/~$/, "");
    if ((snapshot.pendingCount[type] ?? 0) !== pendingOf(type)) {
      broken.push(
        `pending-count of ${type} is ${snapshot.pendingCount[type] ?? 0}, its indexes hold ${pendingOf(type)}`,
      );
    }
    const shards = new Set([...members.values()].map((score) => String(Math.floor(score / SHARD_WIDTH))));
    const listed = snapshot.pendingShardIndex.get(index) ?? new Set();
    if ([...shards].some((s) => !listed.has(s)) || [...listed].some((s) => !shards.has(s))) {
      broken.push(
        `pending shard index of ${index} lists [${[...listed]}], shards in use are [${[...shards]}]`,
      );
    }
  }
  for (const [type, count] of Object.entries(snapshot.pendingCount)) {
    if (count !== pendingOf(type))
      broken.push(`pending-count of ${type} is ${count}, its indexes hold ${pendingOf(type)}`);
  }
  // Fair queuing: a group's lane holds exactly its pending jobs (same scores); a group
  // with jobs waits in the ring or parked, never neither (it would starve); a group's
  // running count is its processing jobs.
  const expectedLanes = new Map<string, Map<string, number>>();
  const processingByGroup = new Map<string, number>();
  for (const [seq, { fields }] of snapshot.jobs) {
    if (fields.g === undefined) continue;
    const at = `${fields.t}:${fields.g}`;
    if (fields.s === "pending") {
      const members = expectedLanes.get(at) ?? new Map<string, number>();
      members.set(seq, (10 - Number(fields.p ?? 5)) * BAND + Number(fields.po ?? seq));
      expectedLanes.set(at, members);
    } else if (fields.s === "processing") {
      processingByGroup.set(at, (processingByGroup.get(at) ?? 0) + 1);
    }
  }
  const actualLanes = new Map<string, Map<string, number>>();
  for (const [type, lanes] of snapshot.lanes) {
    for (const [group, members] of lanes) actualLanes.set(`${type}:${group}`, members);
  }
  for (const at of new Set([...expectedLanes.keys(), ...actualLanes.keys()])) {
    const want = expectedLanes.get(at) ?? new Map<string, number>();
    const have = actualLanes.get(at) ?? new Map<string, number>();
    const differ = want.size !== have.size || [...want].some(([seq, score]) => have.get(seq) !== score);
    if (differ)
      broken.push(`lane ${at} holds [${[...have.keys()]}], its pending jobs are [${[...want.keys()]}]`);
    const [type, ...group] = at.split(":");
    const name = group.join(":");
    if (
      want.size > 0 &&
      !snapshot.ring.get(type as string)?.has(name) &&
      !snapshot.parked.get(type as string)?.has(name)
    ) {
      broken.push(`group ${at} has pending jobs but is neither in the ring nor parked`);
    }
  }
  const runningAt = new Map<string, number>();
  for (const [type, counts] of snapshot.running) {
    for (const [group, count] of Object.entries(counts)) runningAt.set(`${type}:${group}`, count);
  }
  for (const at of new Set([...processingByGroup.keys(), ...runningAt.keys()])) {
    if ((processingByGroup.get(at) ?? 0) !== (runningAt.get(at) ?? 0)) {
      broken.push(
        `group ${at} counts ${runningAt.get(at) ?? 0} running, ${processingByGroup.get(at) ?? 0} are processing`,
      );
    }
  }
  // Protection: a child holds its parents (`hp`) from its linking until it is
  // final; a parent's `hb` is the number of children holding it, and exactly the
  // parents with hb > 0 are protected.
  const blockedChildren = new Map<string, number>();
  for (const [seq, { fields }] of snapshot.jobs) {
    if (fields.hp && FINAL.has(fields.s as string))
      broken.push(`job ${seq} is ${fields.s} but still holds its parents`);
    if (!fields.hp || !fields.dp) continue;
    for (const parent of new Set(fields.dp.split(","))) {
      if (snapshot.jobs.has(parent)) blockedChildren.set(parent, (blockedChildren.get(parent) ?? 0) + 1);
    }
  }
  for (const [seq, { fields }] of snapshot.jobs) {
    const hb = Number(fields.hb ?? 0);
    const expected = blockedChildren.get(seq) ?? 0;
    if (hb !== expected) broken.push(`job ${seq} has hb ${hb}, but ${expected} unfinished children hold it`);
    if (hb > 0 !== snapshot.protectedSet.has(seq)) {
      broken.push(`job ${seq} with hb ${hb} is ${snapshot.protectedSet.has(seq) ? "" : "not "}protected`);
    }
  }
  for (const seq of snapshot.protectedSet) {
    if (!snapshot.jobs.has(seq)) broken.push(`protected job ${seq} has no hash`);
  }
  // An expiry (`ex`) is kept exactly while a job waits for its first start, and indexed by it.
  for (const [seq, { fields }] of snapshot.jobs) {
    const waiting = WAITING.has(fields.s as string);
    if (fields.ex !== undefined && !waiting) broken.push(`job ${seq} is ${fields.s} but keeps an expiry`);
    const indexed = snapshot.expiring.get(seq);
    if (fields.ex !== undefined && indexed !== Number(fields.ex)) {
      broken.push(`job ${seq} expires at ${fields.ex}, the expiring index says ${indexed ?? "nothing"}`);
    }
  }
  for (const seq of snapshot.expiring.keys()) {
    if (snapshot.jobs.get(seq)?.fields.ex === undefined) {
      broken.push(`expiring index names job ${seq}, which has no expiry`);
    }
  }
  // Once resolution has caught up, no blocked job has only final parents.
  if (snapshot.resolving.length === 0 && snapshot.rearm.length === 0) {
    for (const [seq, { fields }] of snapshot.jobs) {
      if (fields.s !== "blocked") continue;
      const parents = (fields.dp ?? "").split(",").filter(Boolean);
      const allFinal = parents.every((parent) => {
        const state = snapshot.jobs.get(parent)?.fields.s;
        return state === undefined || FINAL.has(state);
      });
      if (allFinal) broken.push(`job ${seq} is blocked, but its parents [${parents}] are all final`);
    }
  }
  return broken;
}
