/**
 * Defects 8 and 9 (issue 12) over raw sockets against a real server: a read-only
 * key is refused before its (stalled) body is read; a body that stops arriving is
 * answered 408; what Node's HTTP parser refuses (bad Content-Length,
 * Transfer-Encoding: gzip, bad chunk sizes, control characters in headers, headers
 * over 16 KB) is answered in the API's error shape and logged as a client error,
 * never as a 500.
 */
import net from "node:net";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { loadConfig } from "../config/config.js";
import { createLogger } from "../logging/logger.js";
import { type RunningControlPlane, startControlPlane } from "./start-server.js";

const READ_KEY = "reader-secret-0123456789";
const SUBMIT_KEY = "submitter-secret-0123456789";
const logLines: Record<string, unknown>[] = [];
let server: RunningControlPlane;

beforeAll(async () => {
  const config = loadConfig({
    REDIS_URL: inject("redisUrl"),
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_LEVEL: "info",
    RQ_DASHBOARD_DIR: "/nonexistent-dashboard",
    RQ_MAINTAIN_INTERVAL_MS: "0",
    RQ_API_KEYS: `reader:${READ_KEY}:read,submitter:${SUBMIT_KEY}:submit`,
    RQ_BODY_TIMEOUT_MS: "300",
  });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n").filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  });
  server = await startControlPlane(config, createLogger("info", sink));
});
afterAll(() => server.close());

interface RawAnswer {
  status: number;
  headers: string;
  body: string;
}

/** Writes `request` as is and reads until the server closes the connection. */
function raw(request: string | Buffer, opts: { keepOpen?: boolean } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const [head = "", ...rest] = text.split("\r\n\r\n");
      resolve({ status: Number(head.split(" ")[1]), headers: head, body: rest.join("\r\n\r\n") });
    });
    socket.write(request);
    if (!opts.keepOpen) socket.end();
  });
}

function expectErrorShape(answer: RawAnswer, status: number): void {
  expect(answer.status).toBe(status);
  expect(answer.headers.toLowerCase()).toContain("content-type: application/json");
  const body = JSON.parse(answer.body) as { error: { code: string; message: string; issues: unknown[] } };
  expect(body.error.code).toMatch(/^[a-z_]+$/);
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(body.error.issues).toEqual([]);
}

const post = (headers: string, body = "") =>
  `POST /v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${SUBMIT_KEY}\r\n${headers}\r\n${body}`;

describe("hostile HTTP", () => {
  it("refuses a read key before reading its body, even one that never arrives", async () => {
    const started = performance.now();
    const answer = await raw(
      `POST /v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${READ_KEY}\r\n` +
        "Content-Type: application/json\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n{",
      { keepOpen: true },
    );
    expectErrorShape(answer, 403);
    // The body deadline is 300 ms: a 403 that waited for it would come later than that.
    expect(performance.now() - started).toBeLessThan(300);
  });

  it("answers 408 when a body stops arriving", async () => {
    const answer = await raw(post("Content-Type: application/json\r\nContent-Length: 100\r\n", '{"type"'), {
      keepOpen: true,
    });
    expectErrorShape(answer, 408);
    expect(JSON.parse(answer.body).error.code).toBe("request_timeout");
  });

  const parserCases: [string, string | Buffer, number][] = [
    ["a bad Content-Length", post("Content-Length: 12abc\r\n"), 400],
    ["two different Content-Lengths", post("Content-Length: 5\r\nContent-Length: 6\r\n", "hello!"), 400],
    ["Transfer-Encoding: gzip", post("Transfer-Encoding: gzip\r\n", "abc"), 400],
    [
      "a bad chunk size",
      post("Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n", "zz\r\n{}\r\n0\r\n\r\n"),
      400,
    ],
    ["a control character in a header", post("X-Note: a\u0001b\r\n"), 400],
    ["headers over 16 KB", post(`X-Big: ${"a".repeat(17 * 1024)}\r\n`), 431],
    ["a request line that is not HTTP", "HELLO\r\n\r\n", 400],
  ];

  for (const [name, request, status] of parserCases) {
    it(`answers ${name} with ${status} in the error shape`, async () => {
      expectErrorShape(await raw(request), status);
    });
  }

  it("logs parser refusals as client errors, never as 500s", async () => {
    for (const [, request] of parserCases) await raw(request);
    expect(logLines.some((line) => line.msg === "client error")).toBe(true);
    expect(
      logLines.filter(
        (line) => ["error", "fatal"].includes(String(line.level)) || Number(line.status) >= 500,
      ),
    ).toEqual([]);
  });
});
