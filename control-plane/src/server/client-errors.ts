/**
 * Requests Node's HTTP parser refuses before any route sees them (a bad
 * Content-Length, a Transfer-Encoding other than chunked, a bad chunk size, control
 * characters in a header, headers over 16 KB, a request that timed out): answered
 * in the API's error shape and logged as client errors. Without this handler Node
 * answers with an empty body, and a request already handed to the app fails there
 * as a 500 "aborted".
 */
import type { Duplex } from "node:stream";
import { errorBody } from "../http/api-error.js";
import type { Logger } from "../logging/logger.js";

interface ParserAnswer {
  status: number;
  reason: string;
  code: string;
  message: string;
}

const BAD_REQUEST = { status: 400, reason: "Bad Request", code: "bad_request" } as const;

function answerFor(code: string): ParserAnswer {
  switch (code) {
    case "HPE_HEADER_OVERFLOW":
      return {
        status: 431,
        reason: "Request Header Fields Too Large",
        code: "headers_too_large",
        message: "the request headers exceed 16 KB",
      };
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return {
        status: 408,
        reason: "Request Timeout",
        code: "request_timeout",
        message: "the request did not arrive in time",
      };
    case "HPE_INVALID_CONTENT_LENGTH":
    case "HPE_UNEXPECTED_CONTENT_LENGTH":
      return { ...BAD_REQUEST, message: "the Content-Length header is not valid for this request" };
    case "HPE_INVALID_TRANSFER_ENCODING":
      return { ...BAD_REQUEST, message: "Transfer-Encoding must be chunked (or left out)" };
    case "HPE_INVALID_CHUNK_SIZE":
      return { ...BAD_REQUEST, message: "a chunk size of the chunked body is not valid" };
    case "HPE_INVALID_HEADER_TOKEN":
      return { ...BAD_REQUEST, message: "a header name or value holds a character HTTP does not allow" };
    default:
      return { ...BAD_REQUEST, message: "the request is not valid HTTP/1.1" };
  }
}

/** The response being written on the socket, if any (Node's own clientError handler checks the same). */
const responseStarted = (socket: Duplex) =>
  (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;

export function answerClientError(error: Error, socket: Duplex, log: Logger): void {
  const code = (error as NodeJS.ErrnoException).code ?? "";
  // The peer went away, or a response is already on its way: nothing can be said any more.
  if (code === "ECONNRESET" || !socket.writable || responseStarted(socket)) {
    socket.destroy();
    return;
  }
  const answer = answerFor(code);
  log.info({ status: answer.status, parserCode: code || error.message }, "client error");
  const body = JSON.stringify(errorBody(answer.code, answer.message));
  socket.end(
    `HTTP/1.1 ${answer.status} ${answer.reason}\r\n` +
      "Content-Type: application/json\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      "X-Content-Type-Options: nosniff\r\n" +
      "Connection: close\r\n\r\n" +
      body,
  );
}
