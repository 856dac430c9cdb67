/**
 * Request bodies. `bufferBody` reads a request's body (if any) up front, within
 * the size limit (413 by Content-Length before reading, or while streaming a
 * chunked body) and a read deadline (408: a client trickling its body must not
 * hold a connection for minutes), so that a slow upload is never mistaken for a
 * slow Redis by the deadline that follows it. A body the client broke off or sent
 * malformed (bad chunk sizes) is a 400, not a server error. `readJsonObject` then parses it: 415 unless the media
 * type is JSON, 400 when the text does not parse, 422 when it is not an object.
 *
 * Bodies with a Content-Length are read with `c.req.text()`, which the Node adapter
 * serves straight from the socket; touching `c.req.raw.body` (as hono's bodyLimit
 * does) would build a web stream per request, a measurable cost on the submit path.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../app/app-env.js";
import { ApiError, unprocessable } from "./api-error.js";

const JSON_MEDIA_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;

const tooLarge = (limit: number) =>
  new ApiError(413, "payload_too_large", `request body exceeds ${limit} bytes`);

const bodyTimeout = (ms: number) =>
  new ApiError(408, "request_timeout", `the request body did not arrive within ${ms} ms`, [], {
    Connection: "close",
  });

const unreadable = () =>
  new ApiError(400, "bad_request", "the request body could not be read (broken off or malformed)", [], {
    Connection: "close",
  });

async function readWithin(c: Context<AppEnv>, limit: number, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const reading = readLimitedText(c, limit).catch((error: unknown) => {
    throw error instanceof ApiError ? error : unreadable();
  });
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(bodyTimeout(timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([reading, deadline]);
  } finally {
    clearTimeout(timer);
    // Past the deadline nobody waits for the read; it ends when the connection closes.
    reading.catch(() => {});
  }
}

async function readLimitedText(c: Context<AppEnv>, limit: number): Promise<string> {
  const length = c.req.header("content-length");
  if (length !== undefined) {
    if (Number(length) > limit) throw tooLarge(limit);
    return c.req.text();
  }
  const body = c.req.raw.body;
  if (!body) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Whether the request carries a body. Over HTTP/1.1 a body always comes with
 * Content-Length or Transfer-Encoding; a request built in-process (tests) may have
 * neither, and is then judged by its body stream, but only when it declares a
 * content type: a bare `curl -X POST` has no body to read.
 */
function hasBody(c: Context<AppEnv>): boolean {
  const length = c.req.header("content-length");
  if (length !== undefined) return length !== "0";
  if (c.req.header("transfer-encoding") !== undefined) return true;
  return c.req.header("content-type") !== undefined && c.req.raw.body !== null;
}

export function bufferBody(limitBytes: number, timeoutMs: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("bodyText", hasBody(c) ? await readWithin(c, limitBytes, timeoutMs) : null);
    await next();
  };
}

/**
 * Where JSON.parse stopped, without its message: V8 quotes a stretch of the text
 * (`Unexpected token 'x', "{"secret": x…" is not valid JSON`), and a 400 must not
 * echo the body back.
 */
function jsonErrorPosition(error: unknown): string {
  const position = /position (\d+)/.exec((error as Error).message)?.[1];
  return position ? ` (at character ${position})` : "";
}

/** Bodies parsed once per request, for middleware (the submit rate limit) that reads one before its route. */
const parsedBodies = new WeakMap<Request, Record<string, unknown>>();

/** The parsed body: a plain object, or undefined when `optional` and the request has no body. */
export async function readJsonObject(
  c: Context<AppEnv>,
  options: { optional?: boolean } = {},
): Promise<Record<string, unknown> | undefined> {
  const parsed = parsedBodies.get(c.req.raw);
  if (parsed) return parsed;
  const text = c.get("bodyText");
  if ((text === null || text === undefined || text.trim() === "") && options.optional) return undefined;
  const contentType = c.req.header("content-type");
  if (!contentType || !JSON_MEDIA_TYPE.test(contentType)) {
    throw new ApiError(
      415,
      "unsupported_media_type",
      `send the body as JSON with Content-Type: application/json (got ${contentType ? contentType.split(";")[0]?.slice(0, 100) : "none"})`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text ?? "");
  } catch (error) {
    throw new ApiError(400, "malformed_json", `request body is not valid JSON${jsonErrorPosition(error)}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw unprocessable([{ path: "", message: "must be a JSON object" }]);
  }
  parsedBodies.set(c.req.raw, value as Record<string, unknown>);
  return value as Record<string, unknown>;
}
