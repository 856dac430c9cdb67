import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp } from "../../testing/test-app.js";

const CHROMIUM = process.env.RQ_CHROMIUM ?? "/usr/bin/chromium";

let t: TestApp;
let server: ReturnType<typeof serve>;
let base: string;
beforeAll(async () => {
  t = await createTestApp(inject("redisUrl"));
  server = serve({ fetch: t.app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.close();
  await t.close();
});

describe("the API reference in a browser", () => {
  it("renders every operation from /openapi.json, loading nothing from another origin", async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"],
    });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      const origins = new Set<string>();
      page.on("console", (message) => {
        if (message.type() === "error") problems.push(message.text());
      });
      page.on("pageerror", (error) => problems.push(error.message));
      page.on("request", (request) => origins.add(new URL(request.url()).origin));
      await page.goto(`${base}/docs`);
      const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
        paths: Record<string, Record<string, { operationId: string }>>;
      };
      const ids = Object.values(doc.paths).flatMap((methods) =>
        Object.values(methods).map((op) => op.operationId),
      );
      // Redoc's menu has an item per operation, named by its tag and operationId.
      await page.waitForFunction(
        `document.querySelectorAll("li[data-item-id*='/operation/']").length === ${ids.length}`,
        undefined,
        { timeout: 30_000 },
      );
      const items = await page.$$eval("li[data-item-id*='/operation/']", (nodes) =>
        nodes.map((node) => node.getAttribute("data-item-id")?.split("/operation/")[1]),
      );
      expect(items.sort()).toEqual([...ids].sort());
      expect(await page.locator("h1").first().textContent()).toContain("R-queue API");
      expect(problems).toEqual([]);
      expect([...origins].filter((origin) => origin !== base && origin !== "null")).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
