/**
 * API keys: parsing `RQ_API_KEYS` (`name:secret:role,…`) and checking a presented
 * bearer token in constant time. Only SHA-256 digests of the secrets are kept, so
 * every comparison has the same length and timing whatever the token looks like.
 */
import { createHash, timingSafeEqual } from "node:crypto";

/** `metrics` may only scrape GET /metrics; each further role includes the one before. */
export const ROLES = ["metrics", "read", "submit", "admin"] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  /** The key's name (never its secret): what logs and audit trails show. */
  name: string;
  role: Role;
}

export interface ApiKey extends Principal {
  secretDigest: Buffer;
}

export interface ParsedApiKeys {
  keys: ApiKey[];
  /** Problems, naming the entry by position and name but never echoing a secret. */
  problems: string[];
  warnings: string[];
}

const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const MIN_SECRET_CHARS = 16;

const digest = (secret: string) => createHash("sha256").update(secret, "utf8").digest();

/** Parses `name:secret:role` entries; the secret may itself contain `:`. */
export function parseApiKeys(text: string | undefined): ParsedApiKeys {
  const result: ParsedApiKeys = { keys: [], problems: [], warnings: [] };
  const entries = (text ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  const seenNames = new Set<string>();
  const seenSecrets = new Set<string>();
  entries.forEach((entry, index) => {
    const first = entry.indexOf(":");
    const last = entry.lastIndexOf(":");
    const where = `RQ_API_KEYS entry ${index + 1}`;
    if (first <= 0 || last === first) {
      result.problems.push(`${where}: must look like name:secret:role`);
      return;
    }
    const name = entry.slice(0, first);
    const secret = entry.slice(first + 1, last);
    const role = entry.slice(last + 1);
    if (!NAME_PATTERN.test(name)) {
      result.problems.push(`${where}: name must be 1-64 letters, digits, '_', '.', '-'`);
      return;
    }
    if (!(ROLES as readonly string[]).includes(role)) {
      result.problems.push(`${where} (${name}): role must be one of ${ROLES.join(", ")}`);
      return;
    }
    if (secret === "") {
      result.problems.push(`${where} (${name}): secret is empty`);
      return;
    }
    if (seenNames.has(name)) result.problems.push(`${where}: name ${name} is used twice`);
    if (seenSecrets.has(secret))
      result.problems.push(`${where} (${name}): secret is shared with another key`);
    seenNames.add(name);
    seenSecrets.add(secret);
    if (secret.length < MIN_SECRET_CHARS) {
      result.warnings.push(`API key ${name} has a short secret (< ${MIN_SECRET_CHARS} characters)`);
    }
    result.keys.push({ name, role: role as Role, secretDigest: digest(secret) });
  });
  return result;
}

export class ApiKeyStore {
  constructor(private readonly keys: readonly ApiKey[]) {}

  /** No keys configured: every request is allowed (development only). */
  get open(): boolean {
    return this.keys.length === 0;
  }

  /**
   * The key's principal, or null. Compares against every key without stopping at a
   * match, so the time taken says nothing about which key (or how much of one) matched.
   */
  authenticate(token: string): Principal | null {
    const presented = digest(token);
    let match: ApiKey | null = null;
    for (const key of this.keys) {
      if (timingSafeEqual(presented, key.secretDigest) && match === null) match = key;
    }
    return match && { name: match.name, role: match.role };
  }
}

const RANK: Record<Role, number> = { metrics: 0, read: 1, submit: 2, admin: 3 };

/** admin ⊇ submit ⊇ read ⊇ metrics. */
export const roleAllows = (held: Role, needed: Role) => RANK[held] >= RANK[needed];
