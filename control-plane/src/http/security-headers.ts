/**
 * Security headers on every answer. API answers (JSON, text, metrics) get a policy
 * that allows nothing to load or frame them; HTML (the dashboard) gets a policy
 * that lets it run — its own scripts, styles (Solid sets inline styles), data:
 * images and fetches to this origin — and nothing from anywhere else. A route that
 * sets its own policy (the API reference) keeps it, with framing forbidden too.
 * HSTS is left to the TLS terminator (the load balancer), which knows whether the
 * client came over HTTPS.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app/app-env.js";

const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; " +
  "frame-ancestors 'none'";

export function securityHeaders(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const headers = c.res.headers;
    headers.set("X-Content-Type-Options", "nosniff");
    headers.set("Referrer-Policy", "no-referrer");
    headers.set("X-Frame-Options", "DENY");
    headers.set("Cross-Origin-Opener-Policy", "same-origin");
    const own = headers.get("content-security-policy");
    if (own) {
      if (!own.includes("frame-ancestors"))
        headers.set("Content-Security-Policy", `${own}; frame-ancestors 'none'`);
    } else {
      const html = headers.get("content-type")?.startsWith("text/html") ?? false;
      headers.set("Content-Security-Policy", html ? DASHBOARD_CSP : API_CSP);
    }
  };
}
