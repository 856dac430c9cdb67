/**
 * The dashboard in a real browser against a real stack: submits work through
 * Simulate, follows it through the table, filters, reloads, pages, opens a job,
 * replays it with an edited payload, retries a dead-letter group, runs a bulk
 * retry by filter, pauses and resumes a queue, resets a breaker, checks that a
 * read-only key sees no mutating control, and finally that an outage shows its
 * banner. Desktop and phone; any console error or failed request fails the test.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, openPage, screenshot, type WatchedPage } from "./browser.js";
import { ADMIN_KEY, READ_KEY, type Stack, startStack } from "./stack.js";

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${stack.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json", ...init.headers },
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

interface QueueCounts {
  queues: {
    name: string;
    paused: boolean;
    countsByType: Record<string, Record<string, number>>;
    breakers: { type: string; state: string }[];
  }[];
}
const defaultQueue = async () =>
  (await api<QueueCounts>("/v1/queues")).queues.find((q) => q.name === "default");

/** Waits for a condition on the API (the worker runs on its own schedule). */
async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}\n${stack.output().slice(-3000)}`);
}

const typeCount = async (type: string, state: string) =>
  (await defaultQueue())?.countsByType[type]?.[state] ?? 0;

async function simulate(page: Page, fields: Record<string, string>, select: Record<string, string>) {
  await page.getByRole("button", { name: "Simulate" }).click();
  const form = page.getByTestId("simulate-form");
  for (const [name, value] of Object.entries(select))
    await form.locator(`select[name="${name}"]`).selectOption(value);
  for (const [name, value] of Object.entries(fields)) await form.locator(`input[name="${name}"]`).fill(value);
  await form.getByRole("button", { name: "Submit" }).click();
  await page
    .getByText(/^Submitted \d+ /)
    .first()
    .waitFor();
}

const rows = (page: Page) => page.locator('[data-testid="jobs-table"] tbody tr');

function expectClean(watched: WatchedPage) {
  expect(watched.problems, watched.problems.join("\n")).toEqual([]);
}

describe("dashboard end to end", () => {
  let completedJobId = "";

  it("desktop: simulate, follow jobs through states, filter and reload, page forward and back", async () => {
    const watched = await openPage(browser, { viewport: "desktop", apiKey: ADMIN_KEY });
    const { page } = watched;
    await page.goto(`${stack.url}/`);
    await page.getByTestId("state-cards").waitFor();

    await simulate(page, { count: "30", "payload.ms": "300" }, { type: "sleep", priority: "spread" });
    await page.goto(`${stack.url}/jobs?type=sleep&state=pending`);
    // They move: some are still pending or already running, and all of them complete.
    await page.getByTestId("jobs-table").or(page.getByTestId("jobs-empty")).first().waitFor();
    await eventually(async () => (await typeCount("sleep", "completed")) === 30, "30 sleep jobs completed");

    await page.locator('select[name="state"]').selectOption("completed");
    await page.waitForURL(/state=completed/);
    await page.locator('select[name="limit"]').selectOption("20");
    await page.waitForURL(/limit=20/);
    await expect.poll(() => rows(page).count(), { timeout: 15_000 }).toBe(20);
    await page.reload();
    expect(await page.locator('select[name="state"]').inputValue()).toBe("completed");
    expect(await page.locator('select[name="type"]').inputValue()).toBe("sleep");
    await expect.poll(() => rows(page).count(), { timeout: 15_000 }).toBe(20);
    await expect
      .poll(() => page.getByTestId("filter-count").textContent())
      .toContain("30 completed sleep jobs");

    await page.getByRole("button", { name: "Next →" }).click();
    await page.waitForURL(/cursor=/);
    await expect.poll(() => rows(page).count(), { timeout: 15_000 }).toBe(10);
    expect(await page.getByTestId("page-number").textContent()).toBe("Page 2");
    await page.getByRole("button", { name: "← Previous" }).click();
    await expect.poll(() => page.getByTestId("page-number").textContent()).toBe("Page 1");
    await expect.poll(() => rows(page).count(), { timeout: 15_000 }).toBe(20);
    completedJobId = (await rows(page).first().getAttribute("data-job-id")) ?? "";
    expect(completedJobId).toMatch(/^default:\d+$/);
    await screenshot(page, "desktop-jobs");
    expectClean(watched);
    await watched.context.close();
  });

  it("desktop: opens a job's detail and replays it with an edited payload, linked both ways", async () => {
    const watched = await openPage(browser, { viewport: "desktop", apiKey: ADMIN_KEY });
    const { page } = watched;
    await page.goto(`${stack.url}/jobs?type=sleep&state=completed&limit=20`);
    await page.locator(`a[href="/jobs/${encodeURIComponent(completedJobId)}"]`).click();
    await page.waitForURL(new RegExp(`/jobs/${encodeURIComponent(completedJobId)}$`));
    await page.getByTestId("timeline").waitFor();
    await expect
      .poll(() => page.getByTestId("job-logs").textContent(), { timeout: 15_000 })
      .toContain("sleeping 300 ms");
    expect(await page.getByTestId("json-payload").textContent()).toContain('"ms": 300');
    await screenshot(page, "desktop-job-detail");

    await page.getByRole("button", { name: "Replay…" }).click();
    await page.locator('textarea[name="payload"]').fill('{ "ms": 25 }');
    await page.locator('input[name="priority"]').fill("9");
    await page.getByRole("dialog").getByRole("button", { name: "Replay" }).click();
    await page.getByTestId("replay-of").waitFor();
    const replayId = decodeURIComponent(new URL(page.url()).pathname.split("/").at(-1) ?? "");
    expect(replayId).not.toBe(completedJobId);
    expect(await page.getByTestId("replay-of").textContent()).toBe(completedJobId);
    expect(await page.getByTestId("json-payload").textContent()).toContain('"ms": 25');
    const replay = await api<{ payload: unknown; priority: number; replayOf: string }>(
      `/v1/jobs/${replayId}`,
    );
    expect(replay).toMatchObject({ payload: { ms: 25 }, priority: 9, replayOf: completedJobId });

    await page.getByTestId("replay-of").click();
    await expect
      .poll(() => page.getByTestId("replays").textContent(), { timeout: 10_000 })
      .toContain(replayId);
    expectClean(watched);
    await watched.context.close();
  });

  it("desktop: retries a dead-letter group, runs a bulk retry by filter, pauses, resumes, resets a breaker", async () => {
    const watched = await openPage(browser, { viewport: "desktop", apiKey: ADMIN_KEY });
    const { page } = watched;
    await page.goto(`${stack.url}/dead-letters`);
    await simulate(
      page,
      { count: "6", "payload.message": "card declined", maxAttempts: "1" },
      { type: "fail" },
    );
    await eventually(async () => (await typeCount("fail", "failed")) === 6, "6 dead-lettered fail jobs");

    const group = page.locator('[data-testid="dead-letter-groups"] tr', { hasText: "card declined" });
    await expect.poll(() => group.locator("td.num").textContent(), { timeout: 15_000 }).toBe("6");
    await screenshot(page, "desktop-dead-letters");
    await group.getByRole("button", { name: "Retry group" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Retry group" }).click();
    await page.getByText("Retried 6 of 6").waitFor();
    // They fail again (that is what `fail` does), ready for a bulk retry.
    await eventually(async () => (await typeCount("fail", "failed")) === 6, "the retried jobs failing again");

    await page.goto(`${stack.url}/jobs?state=failed&type=fail`);
    await expect
      .poll(() => page.getByTestId("filter-count").textContent(), { timeout: 15_000 })
      .toContain("6 failed");
    await page.getByRole("button", { name: "retry all matching…" }).click();
    await expect.poll(() => page.getByTestId("operation-estimate").textContent()).toContain("retry 6 jobs");
    await page.getByRole("button", { name: /^Start: retry/ }).click();
    await page.waitForURL(/\/operations\/[0-9a-f-]{36}$/);
    const operation = page.getByTestId("operation").first();
    await expect.poll(() => operation.getAttribute("data-status"), { timeout: 30_000 }).toBe("completed");
    expect(await operation.getByTestId("operation-counts").textContent()).toContain("6 retried");
    await screenshot(page, "desktop-operations");

    await page.goto(`${stack.url}/queues`);
    const queueRow = page.locator('[data-testid="queues-table"] tr[data-queue="default"]');
    await queueRow.getByRole("button", { name: "Pause" }).click();
    await expect.poll(() => queueRow.locator("[data-paused]").textContent()).toBe("paused");
    expect((await defaultQueue())?.paused).toBe(true);
    await queueRow.getByRole("button", { name: "Resume" }).click();
    await expect.poll(() => queueRow.locator("[data-paused]").textContent()).toBe("running");

    await simulate(
      page,
      { count: "4", "payload.ms": "0", "payload.failureRate": "1", maxAttempts: "1" },
      { type: "flaky" },
    );
    await eventually(
      async () => (await defaultQueue())?.breakers.find((b) => b.type === "flaky")?.state === "open",
      "the flaky breaker to open",
    );
    const breakerRow = page.locator('[data-testid="breakers-table"] tr[data-breaker="default/flaky"]');
    await expect
      .poll(() => breakerRow.locator("[data-breaker-state]").textContent(), { timeout: 15_000 })
      .toBe("open");
    await screenshot(page, "desktop-queues");
    await breakerRow.getByRole("button", { name: "Reset" }).click();
    await expect
      .poll(() => breakerRow.locator("[data-breaker-state]").textContent(), { timeout: 15_000 })
      .toBe("closed");

    // A flow rule set from the Queues page form, shown with its state, then removed.
    const flowForm = page.getByTestId("flow-rule-form");
    await flowForm.locator('input[name="queue"]').fill("default");
    await flowForm.locator('input[name="type"]').fill("sleep");
    await flowForm.locator('input[name="concurrency"]').fill("2");
    await flowForm.getByRole("button", { name: "Set rule" }).click();
    const flowRule = page.locator('[data-testid="flow-rules-table"] tr[data-flow-rule="default/type sleep"]');
    await expect.poll(() => flowRule.locator("td").nth(3).textContent(), { timeout: 15_000 }).toBe("2");
    await expect
      .poll(() => page.locator('[data-flow-state="default/sleep"] [data-flow-running]').textContent())
      .toMatch(/^\d+ \/ 2$/);
    await flowRule.getByRole("button", { name: "Remove" }).click();
    await expect.poll(() => flowRule.count(), { timeout: 15_000 }).toBe(0);

    // A schedule every second: created from the form, fired by the control plane, run by the worker.
    await page.goto(`${stack.url}/schedules`);
    await page.getByText("New schedule").click();
    const scheduleForm = page.getByTestId("schedule-form");
    await scheduleForm.locator('input[name="id"]').fill("e2e-tick");
    await scheduleForm.locator('input[name="type"]').fill("echo");
    await scheduleForm.locator('select[name="timing"]').selectOption("every");
    await scheduleForm.locator('input[name="everySeconds"]').fill("1");
    await scheduleForm.getByRole("button", { name: "Create schedule" }).click();
    const scheduleRow = page.locator('[data-testid="schedules-table"] tr[data-schedule="default/e2e-tick"]');
    await scheduleRow.locator('[data-state="completed"]').first().waitFor({ timeout: 30_000 });
    await scheduleRow.getByRole("button", { name: "Pause" }).click();
    await expect
      .poll(() => scheduleRow.locator("[data-paused]").textContent(), { timeout: 15_000 })
      .toBe("paused");
    await screenshot(page, "desktop-schedules");

    await page.goto(`${stack.url}/benchmark`);
    const form = page.getByTestId("benchmark-form");
    await form.locator('input[name="jobs"]').fill("300");
    await form.locator('input[name="batchSize"]').fill("100");
    await form.getByRole("button", { name: "Start" }).click();
    await expect
      .poll(() => page.getByTestId("benchmark-run").getAttribute("data-status"), { timeout: 60_000 })
      .toBe("completed");
    expect(await page.getByTestId("benchmark-summary").textContent()).toMatch(/Drain rate\d/);
    await screenshot(page, "desktop-benchmark");

    // Keyboard: `g q` switches page, `/` focuses the id box, Enter opens the job.
    await page.keyboard.press("g");
    await page.keyboard.press("q");
    await page.waitForURL(/\/queues$/);
    await page.keyboard.press("/");
    await page.keyboard.type(completedJobId);
    await page.keyboard.press("Enter");
    await page.waitForURL(new RegExp(`/jobs/${encodeURIComponent(completedJobId)}$`));
    await page.keyboard.press("?");
    await page.getByRole("dialog", { name: "Keyboard shortcuts" }).waitFor();
    await page.keyboard.press("Escape");

    await page.goto(`${stack.url}/workers`);
    await page.getByTestId("workers-table").getByText("healthy").first().waitFor();
    await screenshot(page, "desktop-workers");
    await page.goto(`${stack.url}/?window=15m`);
    await expect
      .poll(() => page.getByTestId("count-completed").textContent(), { timeout: 15_000 })
      .not.toBe("0");
    // Reported, not asserted (timing targets belong in benchmarks): from navigation to counts on screen.
    const readyMs = await page.evaluate(() => Math.round(performance.now()));
    console.log(`overview ready ${readyMs} ms after navigation (loopback)`);
    await page.locator("canvas").first().waitFor();
    await page.waitForTimeout(500); // one frame for chart.js to draw
    await screenshot(page, "desktop-overview");
    expectClean(watched);
    await watched.context.close();
  });

  it("a read-only key sees no mutating control", async () => {
    // In the dark theme, which follows the system's.
    const watched = await openPage(browser, { viewport: "desktop", apiKey: READ_KEY, colorScheme: "dark" });
    const { page } = watched;
    const mutating =
      /^(Simulate|Pause|Resume|Reset|Retry.*|Cancel|Delete|Replay…|retry all matching…|cancel all matching…|delete all matching…|Purge.*)$/;
    const visit = async (path: string, ready: string) => {
      await page.goto(`${stack.url}${path}`);
      await page.getByTestId(ready).first().waitFor();
      expect(await page.getByRole("button", { name: mutating }).count(), path).toBe(0);
      expect(await page.locator('input[type="checkbox"]').count(), path).toBe(0);
    };
    await page.goto(`${stack.url}/`);
    await expect.poll(() => page.locator(".key-button").textContent()).toBe("read");
    await visit("/queues", "queues-table");
    await visit("/jobs?state=completed&type=sleep", "jobs-table");
    await visit("/jobs?state=failed&type=fail", "jobs-table");
    await visit(`/jobs/${encodeURIComponent(completedJobId)}`, "timeline");
    await visit("/schedules", "schedules-table");
    expect(await page.getByRole("button", { name: "Trigger" }).count()).toBe(0);
    await visit("/dead-letters", "dead-letter-groups");
    await screenshot(page, "desktop-dark-read-only-dead-letters");
    expectClean(watched);
    await watched.context.close();
  });

  it("phone: every page fits a 390 px screen", async () => {
    const watched = await openPage(browser, { viewport: "phone", apiKey: ADMIN_KEY });
    const { page } = watched;
    const pages: [string, string, string][] = [
      ["/", "state-cards", "phone-overview"],
      ["/jobs?state=completed&type=sleep", "jobs-table", "phone-jobs"],
      [`/jobs/${encodeURIComponent(completedJobId)}`, "timeline", "phone-job-detail"],
      ["/dead-letters", "dead-letter-groups", "phone-dead-letters"],
      ["/workers", "workers-table", "phone-workers"],
      ["/queues", "queues-table", "phone-queues"],
      ["/schedules", "schedules-table", "phone-schedules"],
      ["/operations", "operation", "phone-operations"],
      ["/benchmark", "benchmark-run", "phone-benchmark"],
    ];
    for (const [path, ready, name] of pages) {
      await page.goto(`${stack.url}${path}`);
      await page.getByTestId(ready).first().waitFor();
      // Wide tables scroll inside their frame; the page itself never scrolls sideways.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, path).toBeLessThanOrEqual(1);
      await screenshot(page, name);
    }
    expectClean(watched);
    await watched.context.close();
  });

  it("shows a banner when Redis is down (503) and keeps the last data on screen", async () => {
    const watched = await openPage(browser, { viewport: "desktop", apiKey: ADMIN_KEY });
    const { page } = watched;
    await page.goto(`${stack.url}/`);
    await expect
      .poll(() => page.getByTestId("count-completed").textContent(), { timeout: 15_000 })
      .not.toBe("0");
    const before = await page.getByTestId("count-completed").textContent();
    await stack.redis.stop();
    await page.getByText("answers 503: Redis is unavailable").waitFor({ timeout: 30_000 });
    expect(await page.getByTestId("count-completed").textContent()).toBe(before);
    await screenshot(page, "desktop-outage");
    // The only problems are the 503 answers themselves.
    expect(watched.problems.filter((p) => !/503/.test(p))).toEqual([]);
    await watched.context.close();
  });
});
