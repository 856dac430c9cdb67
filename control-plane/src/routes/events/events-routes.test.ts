/**
 * GET /v1/events through app.request() on standalone Redis and Cluster: events in
 * order with stream ids, resume by Last-Event-ID (history, then live, no repeat),
 * type and job filters, several queues with per-queue positions, one shared tail
 * per queue, heartbeats, and the per-key stream limit.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp, uniqueQueue } from "../../testing/test-app.js";

const targets = [
  ["standalone", inject("redisUrl")],
  ["cluster", inject("redisClusterUrl")],
].filter((target): target is [string, string] => Boolean(target[1]));

interface SseEvent {
  id?: string;
  event?: string;
  data?: { queue: string; jobId: string; event: string; type?: string; detail: Record<string, string> };
  comment?: string;
}

/** Reads a text/event-stream body event by event. */
class SseReader {
  private buffer = "";
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();

  constructor(response: Response) {
    if (!response.body) throw new Error("no body");
    this.reader = response.body.getReader();
  }

  async next(timeoutMs = 10_000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.buffer.indexOf("\n\n");
      if (end >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        const event: SseEvent = {};
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) event.comment = line.slice(1).trim();
          else if (line.startsWith("id: ")) event.id = line.slice(4);
          else if (line.startsWith("event: ")) event.event = line.slice(7);
          else if (line.startsWith("data: ")) event.data = JSON.parse(line.slice(6));
        }
        return event;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no event within ${timeoutMs} ms`);
      let timer: NodeJS.Timeout | undefined;
      const chunk = await Promise.race([
        this.reader.read(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no event within ${timeoutMs} ms`)), left);
        }),
      ]).finally(() => clearTimeout(timer));
      if (chunk.done) throw new Error("stream ended");
      this.buffer += this.decoder.decode(chunk.value, { stream: true });
    }
  }

  /** The next `count` job events, skipping comments. */
  async events(count: number): Promise<SseEvent[]> {
    const events: SseEvent[] = [];
    while (events.length < count) {
      const event = await this.next();
      if (!event.comment) events.push(event);
    }
    return events;
  }

  close(): Promise<void> {
    return this.reader.cancel();
  }
}

describe.each(targets)("GET /v1/events (%s)", (_name, url) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(url, { RQ_EVENT_STREAMS_PER_KEY: "3", RQ_EVENT_HEARTBEAT_MS: "200" });
  });
  afterAll(() => t?.close());

  const submit = async (queue: string, type = "a") => {
    const response = await t.request("/v1/jobs", { method: "POST", json: { type, queue } });
    return ((await response.json()) as { id: string }).id;
  };
  const open = async (query: string, headers: Record<string, string> = {}) => {
    const response = await t.request(`/v1/events?${query}`, { headers });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = new SseReader(response);
    expect((await reader.next()).comment).toBe("connected");
    return reader;
  };

  it("streams state changes with stream ids, and resumes after Last-Event-ID", async () => {
    const queue = uniqueQueue("sse");
    const stream = await open(`queue=${queue}`);
    const first = await submit(queue);
    const [pending] = await stream.events(1);
    expect(pending).toMatchObject({ event: "pending", data: { queue, jobId: first, event: "pending" } });
    expect(pending?.id).toMatch(/^\d+-\d+$/);
    await t.request(`/v1/jobs/${first}/cancel`, { method: "POST" });
    const [canceled] = await stream.events(1);
    expect(canceled).toMatchObject({
      event: "canceled",
      data: { jobId: first, detail: { from: "pending" } },
    });
    await stream.close();

    // Missed while away: replayed from the stream, then live, nothing twice.
    const missed = await submit(queue);
    const resumed = await open(`queue=${queue}`, { "Last-Event-ID": pending?.id as string });
    const replay = await resumed.events(2);
    expect(replay.map((event) => [event.event, event.data?.jobId])).toEqual([
      ["canceled", first],
      ["pending", missed],
    ]);
    const live = await submit(queue);
    expect((await resumed.events(1))[0]?.data?.jobId).toBe(live);
    await resumed.close();
    const byQuery = await open(`queue=${queue}&lastEventId=${replay[1]?.id}`);
    expect((await byQuery.events(1))[0]?.data?.jobId).toBe(live);
    await byQuery.close();
  });

  it("filters by type and by job id, and shares one tail per queue", async () => {
    const queue = uniqueQueue("sse");
    const typed = await open(`queue=${queue}&type=b`);
    const all = await open(`queue=${queue}`);
    expect(t.services.eventHub.activeTails).toBeGreaterThanOrEqual(1);
    const tailsBefore = t.services.eventHub.activeTails;
    const one = await submit(queue, "a");
    const byJob = await open(`queue=${queue}&jobId=${one}`);
    expect(t.services.eventHub.activeTails).toBe(tailsBefore);
    const two = await submit(queue, "b");
    expect((await all.events(2)).map((event) => event.data?.jobId)).toEqual([one, two]);
    expect((await typed.events(1))[0]?.data).toMatchObject({ jobId: two, type: "b" });
    await t.request(`/v1/jobs/${one}/cancel`, { method: "POST" });
    expect((await byJob.events(1))[0]).toMatchObject({ event: "canceled", data: { jobId: one } });
    await Promise.all([typed.close(), all.close(), byJob.close()]);
  });

  it("follows several queues with a position per queue in the id", async () => {
    const [q1, q2] = [uniqueQueue("sse"), uniqueQueue("sse")];
    const stream = await open(`queue=${q1}&queue=${q2}`);
    const a = await submit(q1);
    const [first] = await stream.events(1);
    const b = await submit(q2);
    const [second] = await stream.events(1);
    expect(first?.data?.jobId).toBe(a);
    // Every queue's position, the untouched one's too (0-0 before its first entry).
    const positions = new RegExp(`^${q1}/\\d+-\\d+,${q2}/\\d+-\\d+$`);
    expect(first?.id).toMatch(positions);
    expect(second?.id).toMatch(positions);
    expect(second?.id?.split(",")[0]).toBe(first?.id?.split(",")[0]);
    await stream.close();
    const c = await submit(q1);
    const resumed = await open(`queue=${q1}&queue=${q2}`, { "Last-Event-ID": second?.id as string });
    expect((await resumed.events(1))[0]?.data?.jobId).toBe(c);
    expect(b).toBeTruthy();
    await resumed.close();
  });

  it("sends heartbeats, bounds streams per key, and refuses bad filters", async () => {
    const queue = uniqueQueue("sse");
    const streams = [
      await open(`queue=${queue}`),
      await open(`queue=${queue}`),
      await open(`queue=${queue}`),
    ];
    expect((await streams[0]?.next())?.comment).toBe("heartbeat");
    const refused = await t.request(`/v1/events?queue=${queue}`);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("too_many_streams");
    await streams[0]?.close();
    // The slot is free once the closed stream has wound down.
    for (let attempt = 0; ; attempt++) {
      const again = await t.request(`/v1/events?queue=${queue}`);
      if (again.status === 200) {
        await again.body?.cancel();
        break;
      }
      if (attempt > 100) throw new Error("stream slot never freed");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await Promise.all(streams.slice(1).map((stream) => stream?.close()));
    expect((await t.request("/v1/events")).status).toBe(422);
    expect((await t.request(`/v1/events?queue=${queue}&jobId=other:1`)).status).toBe(422);
    expect((await t.request(`/v1/events?queue=${queue}&lastEventId=nope`)).status).toBe(422);
  });
});
