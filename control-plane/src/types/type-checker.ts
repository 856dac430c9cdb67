/**
 * Refuses, at submission, jobs no worker can run: a type no worker ever advertised
 * on the queue (unless the queue allows it), and a payload that fails the JSON
 * Schema its workers advertised (see @rqueue/shared's type registry).
 *
 * Hot path: each queue's setting and each type's advertisement are cached for a few
 * seconds, so a steady stream of submissions costs no extra Redis round trip; a
 * miss costs one pipeline per queue. That a type is not registered is cached too,
 * but used only where the queue lets unregistered types in (they go in unchecked,
 * and a schema a worker advertises later applies within the cache time, as a
 * changed one does); where the queue refuses them, a refused type is looked up
 * again each time, so a type that registers is accepted at once. Validators are compiled once per schema
 * version and kept in a bounded cache. A changed setting is seen by other replicas
 * within the cache time.
 */
import {
  type FieldIssue,
  getRegisteredType,
  queueKeys,
  type RedisClient,
  type RegisteredType,
  TYPE_SCHEMA_MAX_BYTES,
} from "@rqueue/shared";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { unprocessable } from "../http/api-error.js";

/** The queue-meta field holding the setting: "1" required, "0" not; absent: the process default. */
export const REQUIRE_REGISTERED_TYPE_FIELD = "require-registered-type";

const CACHE_MS = 5_000;
const MAX_CACHED_TYPES = 10_000;
const MAX_VALIDATORS = 500;
/** Issues reported per payload: enough to fix it, never a huge answer. */
const MAX_PAYLOAD_ISSUES = 10;

export interface CheckedJob {
  type: string;
  payload: unknown;
  /** Where the job sits in the request, e.g. `jobs.3`; "" for a single job. */
  prefix: string;
}

interface Cached<T> {
  value: T;
  until: number;
}

const at = (prefix: string, path: string) => [prefix, path].filter(Boolean).join(".");

function payloadIssue(error: ErrorObject, prefix: string): FieldIssue {
  const segments = error.instancePath
    .split("/")
    .slice(1)
    .map((segment) => segment.replace(/~1/g, "/").replace(/~0/g, "~"));
  const path = at(prefix, ["payload", ...segments].join("."));
  if (error.keyword === "required") {
    return { path: `${path}.${String(error.params.missingProperty)}`, message: "is required" };
  }
  return { path, message: error.message ?? `fails ${error.keyword}` };
}

export class TypeChecker {
  private readonly ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false });
  private readonly settings = new Map<string, Cached<boolean>>();
  /** By `<queue>\n<type>`; null: not registered when last read. */
  private readonly types = new Map<string, Cached<RegisteredType | null>>();
  private readonly validators = new Map<string, { validate: ValidateFunction | null; schema: object }>();

  constructor(
    private readonly redis: RedisClient,
    /** Whether a queue without its own setting refuses unregistered types. */
    private readonly requireByDefault: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /** The queue's setting: whether jobs of a type no worker ever advertised are refused. */
  async requiresRegisteredType(queue: string): Promise<boolean> {
    const cached = this.settings.get(queue);
    if (cached && cached.until > this.now()) return cached.value;
    const stored = await this.redis.hget(queueKeys(queue).meta, REQUIRE_REGISTERED_TYPE_FIELD);
    return this.rememberSetting(queue, stored);
  }

  /** Sets the queue's own setting, or with null returns it to the process default. */
  async setRequiresRegisteredType(queue: string, value: boolean | null): Promise<boolean> {
    const meta = queueKeys(queue).meta;
    if (value === null) await this.redis.hdel(meta, REQUIRE_REGISTERED_TYPE_FIELD);
    else await this.redis.hset(meta, REQUIRE_REGISTERED_TYPE_FIELD, value ? "1" : "0");
    return this.rememberSetting(queue, value === null ? null : value ? "1" : "0");
  }

  /** The issues of one queue's share of a submission (empty when every job may go in). */
  async check(queue: string, jobs: readonly CheckedJob[]): Promise<FieldIssue[]> {
    const now = this.now();
    const setting = this.settings.get(queue);
    const settingCached = (setting?.until ?? 0) > now;
    // While the setting is not known, a cached absence cannot be trusted (it may mean a refusal).
    const absenceCounts = settingCached && setting?.value === false;
    const missing = new Set<string>();
    for (const job of jobs) {
      const cached = this.types.get(`${queue}\n${job.type}`);
      const fresh = cached !== undefined && cached.until > now && (cached.value !== null || absenceCounts);
      if (!fresh) missing.add(job.type);
    }
    if (missing.size > 0 || !settingCached) await this.load(queue, [...missing], !settingCached);
    const required = this.settings.get(queue)?.value ?? this.requireByDefault;
    const issues: FieldIssue[] = [];
    for (const job of jobs) {
      const registered = this.types.get(`${queue}\n${job.type}`)?.value;
      if (!registered) {
        if (required) {
          issues.push({
            path: at(job.prefix, "type"),
            message: `no worker has registered job type "${job.type}" on queue ${queue} (GET /v1/types lists the registered ones)`,
          });
        }
        continue;
      }
      const validate = this.validator(registered);
      if (validate && !validate(job.payload)) {
        issues.push(
          ...(validate.errors ?? []).slice(0, MAX_PAYLOAD_ISSUES).map((e) => payloadIssue(e, job.prefix)),
        );
      }
    }
    return issues;
  }

  /** Throws the 422 that names every refused job's type or payload field. */
  async assertAccepted(queue: string, jobs: readonly CheckedJob[]): Promise<void> {
    const issues = await this.check(queue, jobs);
    if (issues.length > 0) throw unprocessable(issues);
  }

  private async load(queue: string, types: readonly string[], withSetting: boolean): Promise<void> {
    const [stored, ...found] = await Promise.all([
      withSetting ? this.redis.hget(queueKeys(queue).meta, REQUIRE_REGISTERED_TYPE_FIELD) : null,
      ...types.map((type) => getRegisteredType(this.redis, queue, type)),
    ]);
    if (withSetting) this.rememberSetting(queue, stored as string | null);
    const until = this.now() + CACHE_MS;
    types.forEach((type, index) => {
      const registered = found[index];
      if (this.types.size >= MAX_CACHED_TYPES) this.types.clear();
      this.types.set(`${queue}\n${type}`, {
        value: registered && typeof registered !== "string" ? registered : null,
        until,
      });
    });
  }

  private rememberSetting(queue: string, stored: string | null): boolean {
    const value = stored === null ? this.requireByDefault : stored === "1";
    if (this.settings.size >= MAX_CACHED_TYPES) this.settings.clear();
    this.settings.set(queue, { value, until: this.now() + CACHE_MS });
    return value;
  }

  /** The compiled validator of a schema version; null when there is nothing to check. */
  private validator(registered: RegisteredType): ValidateFunction | null {
    const { schema, schemaVersion } = registered;
    if (!schema) return null;
    const cached = this.validators.get(schemaVersion);
    if (cached) return cached.validate;
    let validate: ValidateFunction | null = null;
    if (Buffer.byteLength(JSON.stringify(schema)) <= TYPE_SCHEMA_MAX_BYTES) {
      try {
        validate = this.ajv.compile(schema);
      } catch {
        // A schema ajv cannot compile checks nothing here; the worker still validates.
        validate = null;
      }
    }
    if (this.validators.size >= MAX_VALIDATORS) {
      const [oldest, entry] = this.validators.entries().next().value ?? [];
      if (oldest !== undefined && entry) {
        this.validators.delete(oldest);
        this.ajv.removeSchema(entry.schema); // ajv keeps its own cache of compiled schemas
      }
    }
    this.validators.set(schemaVersion, { validate, schema });
    return validate;
  }
}
