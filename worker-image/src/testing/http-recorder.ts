/**
 * Test support: a local HTTP server standing in for the ECS agent and task
 * metadata endpoints. It records every request and answers with the status
 * and body the test sets.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { onTestFinished } from "vitest";

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
}

export interface HttpRecorder {
  url: string;
  requests: RecordedRequest[];
  /** What the next requests get; default 200 with `{}`. */
  respond(status: number, body?: unknown): void;
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  let text = "";
  for await (const chunk of request) text += chunk;
  return text ? JSON.parse(text) : undefined;
}

export async function startHttpRecorder(): Promise<HttpRecorder> {
  const requests: RecordedRequest[] = [];
  let reply = { status: 200, body: {} as unknown };
  const server = createServer(async (request, response) => {
    requests.push({ method: request.method ?? "", path: request.url ?? "", body: await readBody(request) });
    response.writeHead(reply.status, { "content-type": "application/json" });
    response.end(JSON.stringify(reply.body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respond(status, body = {}) {
      reply = { status, body };
    },
  };
}
