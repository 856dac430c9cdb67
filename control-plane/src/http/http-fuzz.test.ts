/**
 * Property-based fuzzing of every documented endpoint (fast-check) with hostile
 * input: wrong types, huge and non-finite numbers, lone surrogates, control
 * characters, deep and wide JSON, unknown fields, bad media types, raw non-JSON,
 * odd path parameters and query strings. Invariants, on a Redis of its own:
 * never a 5xx; every error in the documented shape (at most 20 issues); nothing
 * written to Redis for a rejected request (DEBUG DIGEST of the whole dataset is
 * unchanged); and the heap stays flat over 10,000 requests.
 * FUZZ_HTTP_RUNS and FUZZ_SEED tune or replay a run.
 */
import v8 from "node:v8";
import vm from "node:vm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisServerHandle, startRedisServer } from "../../../shared/test/redis-harness.js";
import { routeDocOf } from "../routes/openapi/describe-route.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";

const RUNS = Number(process.env.FUZZ_HTTP_RUNS ?? 300);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
/** Starts a load run against the stack: not something to fire at random. */
const EXCLUDED = new Set(["POST /v1/benchmarks"]);

interface Route {
  method: string;
  path: string;
}

interface FuzzRequest {
  route: Route;
  param: string;
  query: Record<string, string>;
  contentType: string | null;
  body: string | null;
  idempotencyKey: string | null;
}

let redis: RedisServerHandle;
let t: TestApp;
let routes: Route[];

beforeAll(async () => {
  redis = await startRedisServer({ extraArgs: ["--enable-debug-command", "yes"] });
  t = await createTestApp(redis.url, { RQ_REQUIRE_REGISTERED_TYPES: "0" });
  const seen = new Map<string, Route>();
  for (const entry of t.app.routes) {
    const key = `${entry.method} ${entry.path}`;
    if (entry.method !== "ALL" && routeDocOf(entry.handler) && !EXCLUDED.has(key)) {
      seen.set(key, { method: entry.method, path: entry.path });
    }
  }
  routes = [...seen.values()];
});
afterAll(async () => {
  await t.close();
  await redis.stop();
});

// ---- generators ---------------------------------------------------------------

const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.constantFrom(
    "\ud800",
    "\udc00",
    "a\u0000b",
    "\u202e",
    "x".repeat(5_000),
    "__proto__",
    "constructor",
    "1e300",
    "-1",
    "NaN",
    "",
    " ",
    "fuzz:1",
    "fuzz:99999999999999999",
    "{fuzz}",
    "../../etc/passwd",
  ),
);
const hostileNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(1e300, -1e300, -0, 2 ** 53 + 2, 8.64e15, 275760e9, 0.5, -1),
);
const scalar = fc.oneof(hostileString, hostileNumber, fc.boolean(), fc.constant(null));
const { json } = fc.letrec((tie) => ({
  json: fc.oneof(
    { depthSize: "small" },
    scalar,
    fc.array(tie("json"), { maxLength: 4 }),
    fc.dictionary(hostileString, tie("json"), { maxKeys: 4 }),
  ),
}));
const deep = fc.integer({ min: 60, max: 200 }).map((depth) => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
});
const valueOrHostile = (valid: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 3, arbitrary: valid }, json, deep);

const job = fc.record(
  {
    type: valueOrHostile(fc.constantFrom("a", "email.send", "fuzz-type")),
    queue: valueOrHostile(fc.constantFrom("fuzz", "default", "fuzz-2")),
    payload: fc.oneof(json, deep, fc.constant("p".repeat(600_000))),
    priority: valueOrHostile(fc.integer({ min: 1, max: 10 })),
    delayMs: valueOrHostile(fc.integer({ min: 0, max: 10_000 })),
    runAt: valueOrHostile(fc.constantFrom("2026-12-02T00:00:00Z", 1e300, "+275760-09-13T00:00:00.000Z")),
    maxAttempts: valueOrHostile(fc.integer({ min: 1, max: 5 })),
    backoff: valueOrHostile(
      fc.record({ strategy: fc.constantFrom("fixed", "exponential"), delayMs: fc.nat(1000) }),
    ),
    timeoutMs: valueOrHostile(fc.integer({ min: 1, max: 60_000 })),
    dependsOn: valueOrHostile(
      fc.oneof(
        fc.array(fc.constantFrom("fuzz:1", "fuzz:2", "r1", "default:1"), { maxLength: 3 }),
        fc.integer({ min: 1_001, max: 3_000 }).map((n) => Array.from({ length: n }, (_, i) => i)),
      ),
    ),
    onParentFailure: valueOrHostile(fc.constantFrom("fail", "ignore")),
    ref: valueOrHostile(fc.constantFrom("r1", "r2")),
    idempotencyKey: valueOrHostile(fc.constantFrom("k1", "\ud800", "\udc00")),
    unknownField: json,
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  job.map((value) => JSON.stringify(value)),
  fc.array(job, { maxLength: 4 }).map((jobs) => JSON.stringify({ jobs })),
  fc
    .integer({ min: 1_001, max: 1_500 })
    .map((n) => JSON.stringify({ jobs: Array.from({ length: n }, () => ({})) })),
  json.map((value) => JSON.stringify(value) ?? "null"),
  fc.constantFrom("", "{", "[]", "null", '{"type":', "\u0000", "{}".repeat(1000)),
  fc.string({ maxLength: 60 }),
);
const queryKey = fc.oneof(
  fc.constantFrom(
    "queue",
    "state",
    "type",
    "limit",
    "cursor",
    "priority",
    "omit",
    "q",
    "from",
    "to",
    "windowMinutes",
  ),
  hostileString,
);

const request: fc.Arbitrary<FuzzRequest> = fc.record({
  route: fc.constant(null).chain(() => fc.constantFrom(...routes)),
  param: fc.oneof(fc.constantFrom("fuzz:1", "fuzz:2", "default:1", "fuzz", "a"), hostileString),
  query: fc.dictionary(queryKey, hostileString.map(String), { maxKeys: 4 }),
  contentType: fc.oneof(
    fc.constant("application/json"),
    fc.constantFrom(
      "text/plain",
      "application/json; charset=utf-16",
      "application/x-www-form-urlencoded",
      null,
    ),
  ),
  body: fc.option(body, { freq: 5 }),
  idempotencyKey: fc.option(fc.constantFrom("k1", "k2", "x".repeat(300)), { freq: 4 }),
});

// ---- running one request ------------------------------------------------------

/** A lone surrogate has no UTF-8 form: sent as the bytes of one, which is what a raw client could send. */
function encodeParam(param: string): string {
  try {
    return encodeURIComponent(param);
  } catch {
    return "%ED%A0%80";
  }
}

function pathOf(req: FuzzRequest): string {
  const path = req.route.path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, () => encodeParam(req.param));
  const query = new URLSearchParams(req.query);
  // A long poll on a job that exists would wait out its timeout.
  if (path.endsWith("/wait")) query.set("timeoutMs", "0");
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

async function send(req: FuzzRequest): Promise<{ status: number; text: string }> {
  const headers = new Headers();
  if (req.contentType) headers.set("content-type", req.contentType);
  if (req.idempotencyKey) headers.set("idempotency-key", req.idempotencyKey);
  const withBody = req.route.method !== "GET" && req.body !== null;
  const res = await t.app.request(pathOf(req), {
    method: req.route.method,
    headers,
    ...(withBody ? { body: req.body } : {}),
  });
  if (res.headers.get("content-type")?.startsWith("text/event-stream")) {
    await res.body?.cancel();
    return { status: res.status, text: "" };
  }
  return { status: res.status, text: await res.text() };
}

const digest = async () => (await t.redis.call("DEBUG", "DIGEST")) as string;

function expectErrorShape(status: number, text: string): void {
  const body = JSON.parse(text) as { error?: Record<string, unknown> };
  const error = body.error as { code: unknown; message: unknown; issues: unknown; issuesTotal?: unknown };
  expect(typeof error?.code, text).toBe("string");
  expect(error.code as string).toMatch(/^[a-z_]+$/);
  expect(typeof error.message).toBe("string");
  expect(Array.isArray(error.issues)).toBe(true);
  const issues = error.issues as { path: unknown; message: unknown }[];
  expect(issues.length).toBeLessThanOrEqual(20);
  for (const issue of issues) {
    expect(typeof issue.path).toBe("string");
    expect(typeof issue.message).toBe("string");
  }
  if (issues.length === 20 && error.issuesTotal !== undefined) expect(error.issuesTotal).toBeGreaterThan(20);
  expect(text.length, `status ${status}`).toBeLessThan(16_384);
}

/** 501: search with no archive configured here; the route exists, the feature is off. */
const isServerError = (status: number) => status >= 500 && status !== 501;

describe("HTTP fuzzing", () => {
  it("never answers 5xx, always in the error shape, and writes nothing when it refuses", async () => {
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        const before = await digest();
        const { status, text } = await send(req);
        const label = `${req.route.method} ${pathOf(req)} -> ${status} ${text.slice(0, 300)}`;
        expect(isServerError(status), label).toBe(false);
        if (status >= 400) {
          expectErrorShape(status, text);
          expect(await digest(), `wrote to Redis: ${label}`).toBe(before);
        }
      }),
      { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}) },
    );
  });

  it("keeps the heap flat over 10,000 requests", async () => {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    const heapAfterGc = () => {
      gc();
      gc();
      return process.memoryUsage().heapUsed;
    };
    const batch = async (count: number) => {
      for (const req of fc.sample(request, {
        numRuns: count,
        ...(SEED !== undefined ? { seed: SEED } : {}),
      })) {
        const { status } = await send(req);
        if (isServerError(status)) throw new Error(`${req.route.method} ${pathOf(req)} -> ${status}`);
      }
    };
    // Warm-up: caches fill to their bounds (queue objects, compiled schemas, scripts).
    await batch(2_000);
    const start = heapAfterGc();
    for (let i = 0; i < 8; i++) await batch(1_000);
    const growthMb = (heapAfterGc() - start) / 1e6;
    expect(growthMb, `heap grew ${growthMb.toFixed(1)} MB over 8,000 requests`).toBeLessThan(15);
  }, 120_000);
});
