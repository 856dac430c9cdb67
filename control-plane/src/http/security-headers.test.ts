/**
 * Security headers on the API, the API reference and the dashboard: nosniff,
 * no referrer, no framing, a CSP that loads nothing for API answers and only this
 * origin's files for the dashboard.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp } from "../testing/test-app.js";
import { DASHBOARD_CSP } from "./security-headers.js";

let t: TestApp;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "rq-dashboard-"));
  await writeFile(join(dir, "index.html"), "<!doctype html><title>R-queue</title>");
  t = await createTestApp(inject("redisUrl"), { RQ_DASHBOARD_DIR: dir });
});
afterAll(async () => {
  await t.close();
  await rm(dir, { recursive: true, force: true });
});

function expectCommon(res: Response): void {
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  expect(res.headers.get("x-frame-options")).toBe("DENY");
  expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
}

describe("security headers", () => {
  it("lock API answers down, errors included", async () => {
    for (const path of ["/healthz", "/v1/jobs?state=pending", "/v1/nope", "/metrics", "/openapi.json"]) {
      const res = await t.request(path);
      expectCommon(res);
      expect(res.headers.get("content-security-policy"), path).toMatch(/^default-src 'none'/);
    }
  });

  it("let the dashboard load its own files and nothing else", async () => {
    const res = await t.request("/jobs");
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expectCommon(res);
    expect(res.headers.get("content-security-policy")).toBe(DASHBOARD_CSP);
  });

  it("keep the API reference's own policy, framing forbidden", async () => {
    const res = await t.request("/docs");
    expectCommon(res);
    expect(res.headers.get("content-security-policy")).toContain("worker-src 'self' blob:");
  });
});
