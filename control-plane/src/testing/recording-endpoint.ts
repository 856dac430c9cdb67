/**
 * A local HTTP endpoint that records what an AWS SDK client sends it (decoding
 * gzip request bodies, as PutMetricData may compress) and answers with a canned
 * reply, so tests exercise the real SDK's serialization end to end.
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

export interface RecordingEndpoint {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startRecordingEndpoint(
  reply: (request: RecordedRequest) => Reply,
): Promise<RecordingEndpoint> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      let raw = Buffer.concat(chunks);
      if (req.headers["content-encoding"] === "gzip") raw = gunzipSync(raw);
      const recorded = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: raw.toString("utf8"),
      };
      requests.push(recorded);
      const answer = reply(recorded);
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
