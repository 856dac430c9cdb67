import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { scratchDirs } from "../../../../shared/test/scratch-dirs.js";
import { createTestApp, type TestApp } from "../../testing/test-app.js";
import { dashboardRoutes } from "./dashboard-static.js";

const scratch = scratchDirs();
let t: TestApp;
beforeAll(async () => {
  const dir = scratch("rq-dashboard-");
  await mkdir(join(dir, "assets"));
  await writeFile(join(dir, "index.html"), "<html>dashboard</html>");
  await writeFile(join(dir, "assets", "app.js"), "console.log(1)");
  t = await createTestApp(inject("redisUrl"), {
    RQ_DASHBOARD_DIR: dir,
    RQ_API_KEYS: "ops:0123456789abcdef:admin",
  });
});
afterAll(() => t.close());

describe("dashboard static files", () => {
  it("serves the build publicly, with index.html for client routes", async () => {
    expect(await (await t.request("/")).text()).toContain("dashboard");
    expect(await (await t.request("/assets/app.js")).text()).toBe("console.log(1)");
    expect(await (await t.request("/queues/default")).text()).toContain("dashboard");
    expect((await t.request("/assets/missing.js")).status).toBe(404);
  });

  it("never shadows the API", async () => {
    expect((await t.request("/v1/queues")).status).toBe(401);
    expect((await t.request("/v1/unknown")).status).toBe(401);
  });

  it("is absent when the folder has no index.html", () => {
    expect(dashboardRoutes("/nonexistent-dashboard")).toBeNull();
  });
});
