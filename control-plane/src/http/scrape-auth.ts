/**
 * Who may scrape GET /metrics: a key of any role (the `metrics` role allows
 * nothing else), or, without a key, a client whose address is on the
 * RQ_METRICS_ALLOW list of IPs and CIDR ranges. The address is the TCP peer's,
 * never a forwarded header a client could forge: behind a load balancer the
 * list must name the balancer's addresses.
 */
import type { IncomingMessage } from "node:http";
import { BlockList, isIP } from "node:net";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app/app-env.js";
import type { ApiKeyStore } from "../config/api-keys.js";
import { authenticate } from "./auth.js";

const ALLOWLIST_PRINCIPAL = { name: "metrics-allowlist", role: "metrics" } as const;

export interface ParsedAllowlist {
  entries: string[];
  problems: string[];
}

/** Parses `10.0.0.0/8, 192.168.1.7, ::1`; every bad entry is one problem naming it. */
export function parseAllowlist(text: string | undefined): ParsedAllowlist {
  const result: ParsedAllowlist = { entries: [], problems: [] };
  for (const entry of (text ?? "")
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)) {
    const [address = "", prefix, extra] = entry.split("/");
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits);
    if (family === 0 || !prefixOk || extra !== undefined) {
      result.problems.push(
        `RQ_METRICS_ALLOW: "${entry}" is not an IP address or CIDR range (e.g. 10.0.0.0/8)`,
      );
    } else result.entries.push(entry);
  }
  return result;
}

export function allowlistMatcher(entries: readonly string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = "", prefix] = entry.split("/");
    const type = isIP(address) === 4 ? "ipv4" : "ipv6";
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return (address) => {
    // A dual-stack server sees IPv4 peers as ::ffff:a.b.c.d.
    const plain = address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    const family = isIP(plain);
    return family !== 0 && list.check(plain, family === 4 ? "ipv4" : "ipv6");
  };
}

/** The TCP peer's address when served by @hono/node-server; undefined in app.request() tests. */
const peerAddress = (env: unknown) =>
  (env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket?.remoteAddress;

export function authenticateScrape(
  keys: ApiKeyStore,
  allowlist: readonly string[],
): MiddlewareHandler<AppEnv> {
  const byKey = authenticate(keys);
  const allowed = allowlistMatcher(allowlist);
  return async (c, next) => {
    const address = peerAddress(c.env);
    if (!keys.open && !c.req.header("authorization") && address && allowed(address)) {
      c.set("principal", ALLOWLIST_PRINCIPAL);
      return next();
    }
    return byKey(c, next);
  };
}
