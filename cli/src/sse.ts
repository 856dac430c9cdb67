/**
 * A reader of Server-Sent Events (the text/event-stream format of the HTML
 * standard) over a fetch body: `id:`, `event:`, `data:` (joined by newlines)
 * and `retry:` fields; a blank line ends an event; lines opening with `:` are
 * comments (the API's heartbeats) and are skipped; an event cut off by the end
 * of the stream is not handed over.
 */
export interface ServerEvent {
  /** The last `id:` seen, which a reconnect sends back as Last-Event-ID. */
  id: string | null;
  event: string;
  data: string;
}

export interface EventSink {
  event(event: ServerEvent): void;
  /** `retry:` asks for this reconnection delay. */
  retry(ms: number): void;
}

/** Reads the stream to its end, handing over each complete event. */
export async function readEvents(body: ReadableStream<Uint8Array>, sink: EventSink): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = "";
  let lastId: string | null = null;
  let event = "";
  let data: string[] = [];
  const line = (text: string) => {
    if (text === "") {
      if (data.length > 0) sink.event({ id: lastId, event: event || "message", data: data.join("\n") });
      event = "";
      data = [];
      return;
    }
    if (text.startsWith(":")) return;
    const colon = text.indexOf(":");
    const field = colon === -1 ? text : text.slice(0, colon);
    const value = colon === -1 ? "" : text.slice(colon + 1).replace(/^ /, "");
    if (field === "data") data.push(value);
    else if (field === "event") event = value;
    else if (field === "id" && !value.includes("\0")) lastId = value;
    else if (field === "retry" && /^\d+$/.test(value)) sink.retry(Number(value));
  };
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    const lines = buffer.split(/\r\n|\r|\n/);
    // A lone trailing \r may be the first half of \r\n: keep it with the partial line.
    buffer = lines.pop() ?? "";
    for (const text of lines) line(text);
  }
  // An event the stream ended in the middle of is dropped, as the standard says.
}
