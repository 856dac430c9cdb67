/**
 * The Server-Sent Events reader on streams cut at awkward places: fields split
 * across chunks, CRLF line ends, multi-line data, comments (heartbeats), ids
 * that carry over to later events, retry, and an event cut off at the end.
 */
import { describe, expect, it } from "vitest";
import { readEvents, type ServerEvent } from "./sse.js";

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function read(chunks: string[]) {
  const events: ServerEvent[] = [];
  const retries: number[] = [];
  await readEvents(streamOf(chunks), {
    event: (event) => events.push(event),
    retry: (ms) => retries.push(ms),
  });
  return { events, retries };
}

describe("readEvents", () => {
  it("parses events split anywhere, skipping comments", async () => {
    const { events } = await read([
      ": connected\n\nevent: pen",
      'ding\ndata: {"jobId":"q:1"}\nid: 1-0\n',
      "\n: heartbeat\n\nevent: completed\r\ndata: a\r\ndata: b\r\n\r\n",
    ]);
    expect(events).toEqual([
      { id: "1-0", event: "pending", data: '{"jobId":"q:1"}' },
      // No id of its own: the last id seen stays (as in EventSource).
      { id: "1-0", event: "completed", data: "a\nb" },
    ]);
  });

  it("defaults the event name to message, reads retry, and drops an event the stream cut off", async () => {
    const { events, retries } = await read(["retry: 2500\ndata:x\n\n", "data: cut off\n"]);
    expect(retries).toEqual([2500]);
    expect(events).toEqual([{ id: null, event: "message", data: "x" }]);
  });
});
