import type { SessionInfo } from "@rqueue/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp } from "../../testing/test-app.js";

const READ_SECRET = "read-secret-0123456789";
const ADMIN_SECRET = "admin-secret-0123456789";

let keyed: TestApp;
let open: TestApp;
beforeAll(async () => {
  keyed = await createTestApp(inject("redisUrl"), {
    RQ_API_KEYS: `viewer:${READ_SECRET}:read,ops:${ADMIN_SECRET}:admin`,
  });
  open = await createTestApp(inject("redisUrl"));
});
afterAll(async () => {
  await keyed.close();
  await open.close();
});

describe("GET /v1/session", () => {
  it("names the key and its role, never the secret", async () => {
    const viewer = (await (await keyed.request("/v1/session", { key: READ_SECRET })).json()) as SessionInfo;
    expect(viewer).toEqual({ name: "viewer", role: "read", open: false });
    const ops = (await (await keyed.request("/v1/session", { key: ADMIN_SECRET })).json()) as SessionInfo;
    expect(ops).toEqual({ name: "ops", role: "admin", open: false });
  });

  it("is 401 without a key when keys are configured, and admin in open mode", async () => {
    expect((await keyed.request("/v1/session")).status).toBe(401);
    const anonymous = (await (await open.request("/v1/session")).json()) as SessionInfo;
    expect(anonymous).toMatchObject({ role: "admin", open: true });
  });
});
